"""The export contract as documented: file names map to kinds, and the README's example rows load cleanly."""

import csv

import pytest

from pipelines.exports.contract import KINDS, kind_of
from tests.conftest import Project, failed_checks


@pytest.mark.parametrize("path,kind", [
    ("deals.csv", "deals"), ("deals_2025-03.csv", "deals"), ("deals/part-1.parquet", "deals"),
    ("Ad_Spend.CSV", "ad_spend"), ("fx_rates-ecb.jsonl", "fx_rates"), ("dealership.csv", None),
    ("report.csv", None),
])
def test_file_kind_comes_from_its_name_or_folder(path, kind):
    assert kind_of(path) == kind


def test_documented_example_rows_load_without_rejects(tmp_path):
    project = Project(tmp_path)
    for kind in KINDS.values():
        with (project.exports / f"{kind.name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(kind.example))
            writer.writeheader()
            writer.writerow(kind.example)
    result = project.run()
    assert failed_checks(result) == {}
    for kind in KINDS.values():
        assert project.one(f"SELECT count(*) FROM raw_exports.{kind.name}") == (1,)


def test_parquet_and_json_lines_exports_load_like_csv(tmp_path):
    import duckdb

    project = Project(tmp_path)
    duckdb.sql("SELECT 'd1' AS deal_id, 'A' AS company_id, TIMESTAMP '2025-01-05 10:00' AS created_at, "
               "'won' AS status, TIMESTAMP '2025-01-20 10:00' AS closed_at, 100.5 AS amount, 'EUR' AS currency"
               ).write_parquet(str(project.exports / "deals.parquet"))
    project.write("contacts.jsonl", '{"Contact_ID": "c1", "created_at": "2025-01-02T08:00:00+01:00", '
                                    '"company_id": "A", "score": 7}')
    project.run()
    assert project.query("SELECT deal_id, amount, closed_at::VARCHAR FROM staging.deals") == [
        ("d1", 100.5, "2025-01-20 10:00:00")]
    # The offset is honoured (08:00+01:00 = 07:00 UTC) and the extra column is kept in the raw table.
    assert project.query("SELECT contact_id, created_at::VARCHAR, score FROM raw_exports.contacts") == [
        ("c1", "2025-01-02 07:00:00", "7")]


def test_readme_states_the_contract_the_reader_enforces():
    """Run `python -m pipelines.config_docs --write` after changing pipelines/exports/contract.py."""
    from pathlib import Path

    from pipelines.exports.contract_docs import readme_with_contract

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert readme == readme_with_contract(readme)
    assert "| `deals` | Opportunities" in readme and "rejected: rate must be positive" in readme

"""The whole graph on the bundled demo data, through Dagster, into a temporary DuckDB: all checks pass."""

import pytest

from pipelines.demo_data import generate
from tests.conftest import Project, failed_checks


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("demo"))
    written = generate(project.exports)
    return project, written, project.run_dagster()


def test_every_asset_materializes_and_every_check_passes(demo):
    project, _, result = demo
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"raw_exports/deals", "staging/deals", "intermediate/customers", "marts/cac",
            "marts/unit_economics", "marts/cac_by_segment"} <= materialized
    assert failed_checks(result) == {}
    assert len(result.get_asset_check_evaluations()) > 40


def test_demo_raw_tables_hold_every_exported_row(demo):
    project, written, _ = demo
    for table in ("contacts", "companies", "deals", "ad_spend", "costs", "touchpoints", "fx_rates"):
        assert project.one(f"SELECT count(*) FROM raw_exports.{table}") == (written[f"{table}.csv"],)


def test_demo_has_customers_in_every_quarter_and_usd_spend_converted(demo):
    project, _, _ = demo
    quarters = project.query("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                             "AND period_start BETWEEN '2025-01-01' AND '2026-07-01'")
    assert len(quarters) == 7 and all(n > 0 for (n,) in quarters)
    assert project.one("SELECT count(*) FROM intermediate.sm_costs_daily WHERE currency = 'USD' "
                       "AND amount_reporting IS NULL") == (0,)


def test_marts_carry_their_definitions_as_table_and_column_comments(demo):
    project, _, _ = demo
    comment = project.one("SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'cac'")
    assert "customer acquisition cost" in comment[0]
    column = project.one("SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
                         "AND table_name = 'cac' AND column_name = 'cac'")
    assert column[0].startswith("fully loaded CAC = sm_cost / new_customers")


def test_timestamps_are_stored_as_utc_without_time_zone(demo):
    project, _, _ = demo
    types = dict(project.query("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_schema = 'raw_exports' AND table_name = 'deals'"))
    assert types["closed_at"] == "TIMESTAMP" and types["created_at"] == "TIMESTAMP"


def test_demo_summary_fits_in_120_columns(demo, capsys):
    from pipelines.cli import print_summary

    project, _, _ = demo
    print_summary(project.settings)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Payback — last complete months and quarters, as of ")
    assert len([line for line in lines if line[:2] == "20"]) == 7  # 3 months and 4 quarters
    assert max(len(line) for line in lines) <= 120

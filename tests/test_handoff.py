"""A file's good rows reach dlt as one parquet file that dlt loads as it is: not rewritten on the way."""

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.exports.handoff import ParquetHandoff
from pipelines.exports.source import exports_source
from pipelines.raw_assets import make_pipeline
from tests.conftest import Project


def test_good_rows_are_loaded_from_the_handed_over_file_as_it_is(tmp_path):
    """Our file has no column statistics; dlt's own writer always writes them. So a normalized load file without
    any is ours, linked, not a copy rewritten by dlt's normalize step (which it does when the file differs from
    its schema in a nullable flag, a type or the order of columns). The file's own column (`region`) is declared
    and loaded, and the row that breaks the contract goes to the rejects, not into the file."""
    project = Project(tmp_path)
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,amount,currency,region
        d1,A,2025-01-05,open,100,EUR,emea
        d2,B,2025-01-06,open,x,EUR,amer
        d3,C,2025-01-07,open,50,USD,apac
    """)
    pipeline = make_pipeline(project.settings, "payback_exports", "raw_exports")
    pipeline.extract(exports_source(project.exports))
    pipeline.normalize()
    [load_file] = (tmp_path / ".dlt").rglob("normalized/*/new_jobs/deals.*.parquet")
    metadata = pq.ParquetFile(load_file).metadata
    assert metadata.num_rows == 2
    assert not any(metadata.row_group(0).column(i).is_stats_set for i in range(metadata.num_columns))

    pipeline.load().raise_on_failed_jobs()
    with duckdb.connect(str(project.settings.duckdb_path)) as con:
        assert con.execute("SELECT deal_id, amount, region FROM raw_exports.deals ORDER BY deal_id").fetchall() == [
            ("d1", 100.0, "emea"), ("d3", 50.0, "apac")]
        assert con.execute("SELECT line, reason FROM raw_exports.rejects").fetchall() == [
            (3, "unparseable number in amount: x")]


def test_only_repetitive_text_columns_get_a_dictionary(tmp_path):
    """A dictionary pays for a column of few values (a channel), not for one of unique values (an email), nor for
    numbers: in the first rows of the file, a text column with at most half its values distinct gets one."""
    rows = pa.table({"email": [f"p{n}@example.com" for n in range(100)],
                     "channel": ["paid_search", "seo"] * 50,
                     "amount": [float(n % 2) for n in range(100)]})
    with ParquetHandoff(tmp_path, not_null=["email"]) as good_rows:
        good_rows.write(rows)
        good_rows.finish()
        row_group = pq.ParquetFile(good_rows.path).metadata.row_group(0)
        dictionary = {row_group.column(i).path_in_schema: row_group.column(i).has_dictionary_page
                      for i in range(row_group.num_columns)}
    assert dictionary == {"email": False, "channel": True, "amount": False}

"""An ad platform report read on its own, as the tests look at it: its rows with their line, rejects beside the
good rows. The export sync reads a report through the same `ReportQuery` (pipelines/exports/reader.py)."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.exports.ad_reports import report_query

# The rows `ad_report_rows` returns: the ad_spend columns (typed as the contract types them), conversions, and where
# each row came from. A row with a `reject_reason` is a reject (its `raw_row` is the row as read).
SCHEMA = pa.schema([
    ("date", pa.date32()), ("platform", pa.string()), ("campaign_id", pa.string()), ("spend", pa.float64()),
    ("currency", pa.string()), ("account_id", pa.string()), ("campaign_name", pa.string()),
    ("channel", pa.string()), ("impressions", pa.float64()), ("clicks", pa.float64()), ("leads", pa.float64()),
    ("conversions", pa.float64()), ("line", pa.int64()), ("reject_reason", pa.string()), ("raw_row", pa.string()),
])


def ad_report_rows(path: Path, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
    """The rows of an ad platform report as `SCHEMA` batches: ad_spend rows, and rejects (with `reject_reason`),
    each with its line. Raises AdReportError when the file is no report this module understands."""
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="ad-report-") as scratch:
        query = report_query(con, Path(path), Path(scratch))
        offset = 0
        for batch in query.batches(con, batch_rows):
            table = pa.Table.from_batches([batch])
            lines = pa.array(range(offset + query.first_line, offset + query.first_line + table.num_rows), pa.int64())
            offset += table.num_rows
            table = table.append_column("line", lines).filter(pc.invert(table["_skip"]))
            table = table.rename_columns([{"_reject_reason": "reject_reason", "_raw_row": "raw_row"}.get(n, n)
                                          for n in table.column_names])
            if table.num_rows:
                yield from table.select(SCHEMA.names).cast(SCHEMA).to_batches()

"""One measured step per process: `python -m pipelines.bench.steps STEP JSON-ARGS OUT` writes its in-process
wall time and the process's peak RSS as JSON to OUT. A fresh process per step keeps peak RSS honest; modules are
imported before the clock starts (including those dlt imports lazily), so the time is the work, not Python's
start-up."""

import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dlt
import dlt.common.libs.sql_alchemy_compat  # noqa: F401  dlt imports SQLAlchemy lazily, to print a load's credentials
import duckdb
from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job

from pipelines.config import Settings
from pipelines.definitions import build_definitions
from pipelines.exports.source import declared_tables, sync_exports
from pipelines.fake_apis.hubspot import FakeHubSpot
from pipelines.raw_assets import ensure_tables, make_pipeline
from pipelines.sources.hubspot import hubspot_source
from pipelines.sql_models import discover_models
from pipelines.warehouse import connect


def ingest_reference(database: str, files: dict[str, str]) -> None:
    """DuckDB alone: CREATE TABLE … AS SELECT * FROM read_csv(…), the fastest way by hand."""
    with duckdb.connect(database) as con:
        for kind, path in files.items():
            con.execute(f"CREATE OR REPLACE TABLE {kind} AS SELECT * FROM read_csv('{path}')")


def merge_reference(database: str, deltas: dict[str, list[str]]) -> None:
    """DuckDB alone: MERGE the re-exported rows into the tables, by key."""
    keys = {"contacts": "contact_id", "deals": "deal_id"}
    with duckdb.connect(database) as con:
        for kind, paths in deltas.items():
            for path in paths:
                con.execute(f"""MERGE INTO {kind} USING (SELECT * FROM read_csv('{path}')) AS delta
                                USING ({keys[kind]}) WHEN MATCHED THEN UPDATE WHEN NOT MATCHED THEN INSERT""")


def _settings(database: str, exports: str):
    return Settings.from_env({"PAYBACK_DUCKDB_PATH": database, "PAYBACK_EXPORTS_DIR": exports})


def ingest_ours(database: str, exports: str, kinds: list[str] | None = None) -> None:
    """Our export source through dlt, exactly as the Dagster asset runs it."""
    settings = _settings(database, exports)
    pipeline = make_pipeline(settings, "payback_exports", "raw_exports")

    def run(source):
        pipeline.run(source.with_resources(*kinds) if kinds else source).raise_on_failed_jobs()

    sync_exports(run, print, settings.exports_dir, settings.reporting_timezone, settings.export_date_window)
    with connect(settings) as con:
        ensure_tables(con, "raw_exports", declared_tables())


def transforms_direct(database: str, exports: str) -> None:
    """Every staging, intermediate and mart SQL file run in order with the DuckDB client."""
    with connect(_settings(database, exports)) as con:
        for model in discover_models():
            model.materialize(con)


def transforms_dagster(database: str, exports: str) -> float:
    """The same SQL materialized as Dagster assets (checks left out: the bare SQL has none). Returns the run's
    time alone: loading the definitions is reported apart, as `total_seconds`."""
    defs = build_definitions(_settings(database, exports))
    selection = AssetSelection.key_prefixes(["staging"], ["intermediate"], ["marts"]).without_checks()
    job = define_asset_job("bench_transforms", selection=selection)
    bench_job = Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def("bench_transforms")
    started = time.perf_counter()
    result = bench_job.execute_in_process(instance=DagsterInstance.ephemeral(),
                                          run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
    assert result.success
    return time.perf_counter() - started


def dict_rows_ours(database: str, csv: str, page_rows: int) -> float:
    """The rows of `csv` as pages of dicts (an API source's shape, built before the clock) loaded through dlt as
    our API sources load them: every field declared, as text but for the `updated_at` cursor (as HubSpot's are),
    merged by key, parquet files. Returns the pipeline run's time alone."""
    with duckdb.connect() as con:
        cursor = con.execute(f"SELECT * FROM read_csv('{csv}', all_varchar=true)")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    pages = [rows[start:start + page_rows] for start in range(0, len(rows), page_rows)]
    columns = {name: {"data_type": "text"} for name in names}
    columns["updated_at"] = {"data_type": "timestamp", "timezone": False}

    @dlt.resource(name="contacts", primary_key="contact_id", write_disposition="merge", columns=columns)
    def contacts():
        yield from pages

    pipeline = make_pipeline(_settings(database, str(Path(csv).parent)), "bench_dicts", "raw_dicts")
    started = time.perf_counter()
    pipeline.run(contacts(), loader_file_format="parquet").raise_on_failed_jobs()
    return time.perf_counter() - started


def api_sync(database: str, contacts: int, requests_per_second: float) -> dict:
    """A full HubSpot sync against the local server limiting requests to `requests_per_second`: the time, how
    many requests it took and how many the server answered with 429."""
    fake = FakeHubSpot(token="bench-token", rate_limit=requests_per_second)
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(1, contacts + 1):
        fake.add("contacts", str(number), moment + timedelta(seconds=number), email=f"p{number}@example.com")
    source = hubspot_source(access_token="bench-token", base_url=fake.start(),
                            requests_per_second=requests_per_second)
    pipeline = make_pipeline(_settings(database, str(Path(database).parent)), "bench_api", "raw_hubspot")
    started = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet").raise_on_failed_jobs()
    seconds = time.perf_counter() - started
    fake.stop()
    return {"seconds": seconds, "requests": len(fake.requests), "throttled": fake.throttled}


STEPS = {f.__name__: f for f in (ingest_reference, merge_reference, ingest_ours, transforms_direct,
                                 transforms_dagster, dict_rows_ours, api_sync)}


def run_step(name: str, arguments: dict) -> dict:
    """Run one step: its time (`seconds`, and `total_seconds` with any set-up it keeps out of them), the process's
    peak RSS, and whatever else the step reports."""
    started = time.perf_counter()
    timed = STEPS[name](**arguments)
    total = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reported = timed if isinstance(timed, dict) else {"seconds": total if timed is None else timed}
    return {"total_seconds": total, "peak_rss_gib": peak_kib / 1024 ** 2, **reported}


if __name__ == "__main__":
    Path(sys.argv[3]).write_text(json.dumps(run_step(sys.argv[1], json.loads(sys.argv[2]))))

"""One measured step per process: `python -m bench.steps STEP JSON-ARGS OUT` writes its in-process
wall time and the process's peak RSS as JSON to OUT. A fresh process per step keeps peak RSS honest; modules are
imported before the clock starts (including those dlt imports lazily), so the time is the work, not Python's
start-up."""

import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dlt
import dlt.common.libs.sql_alchemy_compat  # noqa: F401  dlt imports SQLAlchemy lazily, to print a load's credentials
import duckdb
from dagster import AssetKey, AssetSelection, DagsterEventType, DagsterInstance, Definitions, define_asset_job

from pipelines.attribution import markov
from pipelines.build import build_tables
from pipelines.config import Settings
from pipelines.definitions import build_definitions
from pipelines.exports.ad_reports import report_query
from pipelines.raw_assets import make_pipeline, raw_sources
from pipelines.sources.ad_platforms import today
from pipelines.sources.google_ads import google_ads_source
from pipelines.sources.hubspot import hubspot_source
from pipelines.sources.linkedin_ads import linkedin_ads_source
from pipelines.sources.meta_ads import meta_ads_source
from pipelines.sql_models import discover_models
from pipelines.warehouse import connect
from tests.fake_apis import google_ads as google_server
from tests.fake_apis import linkedin_ads as linkedin_server
from tests.fake_apis import meta_ads as meta_server
from tests.fake_apis.hubspot import FakeHubSpot


def ingest_reference(database: str, files: dict[str, str]) -> None:
    """DuckDB alone: CREATE TABLE … AS SELECT * FROM read_csv(…), the fastest way by hand."""
    with duckdb.connect(database) as con:
        for kind, path in files.items():
            con.execute(f"CREATE OR REPLACE TABLE {kind} AS SELECT * FROM read_csv('{path}')")


def ad_report_ours(database: str, report: str) -> None:
    """An ad platform's UI report read as the export sync reads it (`ad_reports.report_query`: found by its
    content, its preamble skipped, its values typed and checked; by the fast query, or the exact one when the fast
    one gives up at a row), into a table."""
    with duckdb.connect(database) as con, tempfile.TemporaryDirectory(prefix="utf8-") as scratch:
        query = report_query(con, Path(report), Path(scratch))
        try:
            con.execute(f"CREATE OR REPLACE TABLE ad_report AS {query.fast}")
        except duckdb.Error:  # the fast query gave up at a row
            con.execute(f"CREATE OR REPLACE TABLE ad_report AS {query.exact}")


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
    """Our export source through dlt, by the function the Dagster asset calls (`RawSource.load`): the same sync,
    restart included, with dlt's own pipeline run in place of Dagster's. `kinds`: only those files."""
    settings = _settings(database, exports)
    exports_source = next(raw for raw in raw_sources(settings) if raw.name == "exports")
    pipeline = exports_source.pipeline(settings)

    def run(source):
        pipeline.run(source.with_resources(*kinds) if kinds else source).raise_on_failed_jobs()

    exports_source.load(settings, run, print)


def transforms_direct(database: str, exports: str) -> None:
    """Every staging, intermediate and mart table built in order with the DuckDB client."""
    with connect(_settings(database, exports)) as con:
        build_tables(con)


ATTRIBUTION_MODELS = (("intermediate", "attribution_paths"), ("intermediate", "attribution_transitions"),
                      (markov.SCHEMA, markov.TABLE), ("marts", "attribution"))


def attribution_ours(database: str, exports: str) -> float:
    """Every attribution model on a database whose other tables are built: the paths with the rule-based credits,
    the Markov chain's steps, its exact solve, and marts.attribution. Returns their time alone (not reading the SQL
    files)."""
    models = {(model.schema, model.name): model for model in discover_models()}
    with connect(_settings(database, exports)) as con:
        started = time.perf_counter()
        for key in ATTRIBUTION_MODELS:
            if key == (markov.SCHEMA, markov.TABLE):
                markov.materialize(con)
            else:
                models[key].materialize(con)
        return time.perf_counter() - started


def attribution_reference(database: str) -> float:
    """DuckDB alone: the same touchpoints grouped into ordered paths per contact."""
    with duckdb.connect(database) as con:
        started = time.perf_counter()
        con.execute("""CREATE OR REPLACE TABLE bench_paths AS
                       SELECT contact_id, list(channel ORDER BY touched_at, touchpoint_id) AS path
                       FROM staging.touchpoints GROUP BY contact_id""")
        return time.perf_counter() - started


MARKOV_PATH_TOUCHES = 6  # touches per path: 10 channels, 6 touches, 1M distinct paths


def markov_paths(database: str, paths: int) -> None:
    """`paths` distinct converting or not paths of MARKOV_PATH_TOUCHES touches over 10 channels (path i: the digits
    of i), dated over two years, as intermediate.attribution_paths rows, and a calendar of those years."""
    with duckdb.connect(database) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(f"""CREATE OR REPLACE TABLE intermediate.attribution_paths AS
            SELECT 'customer' AS conversion_event, 'p-' || i AS path_id, hash(i) % 4 = 0 AS converted,
                   DATE '2024-01-01' + CAST(i % 730 AS INTEGER) AS anchor_date, CAST(p AS INTEGER) AS touch_position,
                   {MARKOV_PATH_TOUCHES} AS path_length,
                   'ch' || (i // CAST(10 ** ({MARKOV_PATH_TOUCHES} - p) AS BIGINT) % 10) AS channel,
                   CASE WHEN p = 1 THEN []::VARCHAR[]
                        ELSE ['ch' || (i // CAST(10 ** ({MARKOV_PATH_TOUCHES} - p + 1) AS BIGINT) % 10)] END
                       AS markov_state
            FROM range({paths}) t(i), range(1, {MARKOV_PATH_TOUCHES + 1}) s(p)""")
        con.execute("""CREATE OR REPLACE TABLE intermediate.calendar AS
            SELECT day, grain AS period_grain, CAST(date_trunc(grain, day) AS DATE) AS period_start,
                   CAST(date_trunc(grain, day) + CASE grain WHEN 'month' THEN INTERVAL 1 MONTH
                        WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END AS DATE) AS period_end
            FROM (SELECT CAST(unnest(generate_series(DATE '2024-01-01', DATE '2025-12-31', INTERVAL 1 DAY)) AS DATE)
                      AS day), unnest(['month', 'quarter', 'year']) g(grain)""")


def markov_solve(database: str) -> dict:
    """The Markov chain's steps counted in SQL and its removal effects solved exactly, as the pipeline does (first
    order); the process's peak RSS is the figure."""
    transitions = next(m for m in discover_models() if (m.schema, m.name) == markov.UPSTREAM)
    started = time.perf_counter()
    with connect(_settings(database, str(Path(database).parent))) as con:
        transitions.materialize(con)
        rows = markov.materialize(con)
    return {"seconds": time.perf_counter() - started, "rows": rows}


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


def ad_api_sync(database: str, platform: str, accounts: int, campaigns: int, days: int) -> dict:
    """A first sync of `accounts` ad accounts of `campaigns` campaigns over the last `days` days from `platform`'s
    local server, which enforces the platform's rate limit the way the platform does (tests/fake_apis/), with the
    source at its default settings: the time, the rate limit, how many requests it metered and how many it
    refused."""
    fake, source, metered = AD_SERVERS[platform](accounts, campaigns, today() - timedelta(days=days - 1), days)
    pipeline = make_pipeline(_settings(database, str(Path(database).parent)), f"bench_{platform}", f"raw_{platform}")
    started = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet").raise_on_failed_jobs()
    seconds = time.perf_counter() - started
    fake.stop()
    return {"seconds": seconds, "rate_limit": fake.rate_limit, "requests": metered(fake), "throttled": fake.throttled}


def _campaign_days(accounts: list[str], campaigns: int, first, days: int):
    """(account, campaign id, day, n) of every campaign day; account a's campaign c is id `a`00c."""
    for account in accounts:
        for campaign in range(1, campaigns + 1):
            for n in range(days):
                yield account, f"{account}{campaign:03d}", first + timedelta(days=n), n


def _google_ads(accounts: int, campaigns: int, first, days: int):
    customers = [str(1_000_000_001 + a) for a in range(accounts)]
    fake = google_server.FakeGoogleAds(rate_limit=google_server.RATE_LIMIT, currencies=dict.fromkeys(customers, "USD"))
    for customer, campaign, day, n in _campaign_days(customers, campaigns, first, days):
        fake.add(customer, campaign, day, f"Search {campaign}", 1_000_000 + n, 100 + n, n % 7)
    base_url = fake.start()
    source = google_ads_source(developer_token=fake.developer_token, client_id=fake.client_id,
                               client_secret=fake.client_secret, refresh_token=fake.refresh_token,
                               customer_ids=customers, base_url=f"{base_url}/{google_server.VERSION}",
                               token_url=f"{base_url}/token", start_date=first)
    return fake, source, lambda server: len(server.queries())  # the token endpoint is not metered


META_PAGE_ROWS = 100  # rows per insights page the server answers: several pages per window


def _meta_ads(accounts: int, campaigns: int, first, days: int):
    ids = [str(100_000_001 + a) for a in range(accounts)]
    fake = meta_server.FakeMetaAds(token="bench-token", rate_limit=meta_server.RATE_LIMIT,
                                   max_score=meta_server.BENCH_MAX_SCORE, page_size=META_PAGE_ROWS,
                                   currencies=dict.fromkeys(ids, "EUR"))
    for account, campaign, day, n in _campaign_days(ids, campaigns, first, days):
        fake.add(account, campaign, day, f"Social {campaign}", f"{10 + n / 100:.2f}", 100 + n, n % 7)
    source = meta_ads_source(access_token="bench-token", ad_account_ids=ids,
                             base_url=f"{fake.start()}/{meta_server.VERSION}", start_date=first)
    return fake, source, lambda server: len(server.insights_requests())


def _linkedin_ads(accounts: int, campaigns: int, first, days: int):
    ids = [str(500_000_001 + a) for a in range(accounts)]
    fake = linkedin_server.FakeLinkedInAds(token="bench-token", rate_limit=linkedin_server.RATE_LIMIT,
                                           campaign_page_size=100,
                                           accounts={a: {"currency": "EUR", "name": f"Account {a}"} for a in ids})
    for account, campaign, day, n in _campaign_days(ids, campaigns, first, days):
        fake.campaigns[campaign] = (account, f"B2B {campaign}")
        fake.add(account, campaign, day, f"{10 + n / 100:.2f}", 100 + n, n % 7)
    source = linkedin_ads_source(access_token="bench-token", ad_account_ids=ids,
                                 base_url=f"{fake.start()}/rest", start_date=first)
    return fake, source, lambda server: len(server.requests)  # every call counts


AD_SERVERS = {"google_ads": _google_ads, "meta_ads": _meta_ads, "linkedin_ads": _linkedin_ads}


def payback_runs(database: str, exports: str, dagster_home: str) -> dict:
    """`payback run` three times on one database, as a user would: the first builds everything, the second finds
    nothing new, the third follows one new costs file. Each run's time, and the tables the third rebuilt against
    the tables downstream of raw_exports.costs."""
    saved = dict(os.environ)
    os.environ.update({"PAYBACK_DUCKDB_PATH": database, "PAYBACK_EXPORTS_DIR": exports, "DAGSTER_HOME": dagster_home})
    try:
        return _payback_runs(exports)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _payback_runs(exports: str) -> dict:
    from pipelines.cli import main
    from pipelines.local_run import project_instance

    seconds, rebuilt = [], []
    for change in (None, None, "costs_bench_change.csv"):
        if change:
            (Path(exports) / change).write_text("cost_id,start_date,end_date,team,category,amount,currency\n"
                                                "k-bench,2025-03-01,2025-03-31,marketing,tools,1200,EUR\n")
        with project_instance() as instance:
            before = {run.run_id for run in instance.get_runs()}
        started = time.perf_counter()
        assert main(["run"]) == 0
        seconds.append(time.perf_counter() - started)
        with project_instance() as instance:
            rebuilt.append({record.event_log_entry.dagster_event.asset_key
                            for run in instance.get_runs() if run.run_id not in before
                            for record in instance.get_records_for_run(
                                run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
                            if record.event_log_entry.dagster_event.asset_key.path[0] != "raw_exports"})
    graph = build_definitions(Settings.from_env()).resolve_asset_graph()
    downstream = AssetSelection.assets(AssetKey(["raw_exports", "costs"])).downstream().resolve(graph)
    return {"seconds": seconds[0], "no_op": seconds[1], "one_file": seconds[2], "built": len(rebuilt[0]),
            "rebuilt_no_op": len(rebuilt[1]), "rebuilt_one_file": len(rebuilt[2]),
            "outside_downstream": sorted(k.to_user_string() for k in rebuilt[2] - downstream),
            "downstream": len(downstream - {AssetKey(["raw_exports", "costs"])})}


STEPS = {f.__name__: f for f in (ingest_reference, ad_report_ours, merge_reference, ingest_ours, transforms_direct,
                                 transforms_dagster, dict_rows_ours, api_sync, ad_api_sync, attribution_ours,
                                 attribution_reference, markov_paths, markov_solve, payback_runs)}


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

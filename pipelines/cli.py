"""`payback`: run the pipeline, read the headline numbers, query the database."""

import argparse
import csv
import fnmatch
import json
import logging
import math
import os
import sys
import textwrap
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.config import ConfigError, Settings
from pipelines.summary_periods import LATEST_DATA_DAY
from pipelines.warehouse import STEP_WAIT_SECONDS, DatabaseBusy

EXIT_USAGE = 2
READER_WAIT_SECONDS = 60  # how long `query`, `summary` and `sources` wait for a run's step to let go of the file


def _settings(for_reading: bool = False) -> Settings:
    """The settings, or one line naming the bad variable. `for_reading` for the commands that only read the
    database: they start without importing Dagster and every source."""
    try:
        return Settings.from_env(for_reading=for_reading)
    except ConfigError as error:
        sys.exit(f"payback: configuration error: {error}")


def _existing_tables(settings: Settings) -> set[tuple[str, str]]:
    from pipelines.warehouse import open_database

    if not settings.duckdb_path.exists():
        return set()
    with closing(open_database(settings.duckdb_path, read_only=True, wait_seconds=STEP_WAIT_SECONDS,
                               say=lambda line: print(f"  {line}"))) as con:
        return set(con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall())


def _select(graph, patterns: list[str] | None, existing: set[tuple[str, str]], raw_groups: set[str]):
    """(selected, forced): asset keys matching the patterns (a group such as `raw_exports` or `marts`, or a key
    such as `marts/cac`, wildcards allowed) plus everything downstream of them, plus any upstream table never
    built yet (a first run of one source must still be able to build the marts) — every asset when no pattern is
    given; and the built tables a pattern names, with their downstream, which are rebuilt even when fresh."""
    from dagster import AssetSelection

    keys = graph.get_all_asset_keys()
    if not patterns:
        return set(keys), set()
    matched = {key for key in keys for pattern in patterns
               if fnmatch.fnmatch(key.to_user_string(), pattern)
               or graph.get(key).group_name == pattern
               or key.path[0] == pattern or key.path[0] == f"raw_{pattern}"}
    if not matched:
        sys.exit(f"payback: --select {','.join(patterns)} matches no asset; try a group "
                 "(raw_exports, staging, intermediate, marts) or a key such as marts/cac")
    selected = AssetSelection.assets(*matched).downstream().resolve(graph)
    missing = {key for key in AssetSelection.assets(*selected).upstream().resolve(graph)
               if tuple(key.path) not in existing}
    built = {key for key in matched if graph.get(key).group_name not in raw_groups}
    forced = AssetSelection.assets(*built).downstream().resolve(graph) if built else set()
    return set(selected | missing), set(forced)


def _unconfigured_selected(settings: Settings, patterns: list[str]) -> list:
    """The declared sources a pattern names (`hubspot`, `raw_hubspot`, `raw_hubspot/deals`) that are not
    configured: they have no assets to select."""
    from pipelines.sources.registry import declared_sources

    return [source for source in declared_sources() if source.name not in settings.sources
            and any(p in (source.name, source.dataset) or p.startswith(f"{source.dataset}/") for p in patterns)]


def _root_cause(error) -> str:
    """The innermost error's first line: what actually went wrong (a refused token, a missing table)."""
    while error is not None and (error.cause or error.context):
        error = error.cause or error.context
    message = (error.message if error else "").strip()
    return message.split(": ", 1)[-1].splitlines()[0] if message else "unknown error"


def run_pipeline(settings: Settings, patterns: list[str] | None = None, full: bool = False) -> bool:
    """Sync the selected sources, then rebuild the tables Dagster finds stale (`freshness.py`): their code,
    settings or upstream data changed, or they are missing; `full` rebuilds every selected table. Each part is
    a run of the Dagster instance. Prints failed steps and checks; True when nothing failed but WARN checks."""
    from dagster import AssetSelection

    from pipelines.definitions import REFRESH_JOB, build_definitions
    from pipelines.freshness import stale_keys
    from pipelines.local_run import RunInterrupted, execute, exit_on_interrupt, project_instance
    from pipelines.run_report import latest_check_evaluations, report_checks, step_failures
    from pipelines.sources.registry import declared_sources

    progress = logging.getLogger("payback.progress")
    progress.setLevel(logging.INFO)
    progress.propagate = False
    progress.handlers = [logging.StreamHandler(sys.stdout)]  # sys.stdout as it is now (tests capture it)
    progress.handlers[0].setFormatter(logging.Formatter("  %(message)s"))

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    job, instance = defs.resolve_job_def(REFRESH_JOB), project_instance()
    existing = _existing_tables(settings)
    raw_groups = {source.dataset for source in declared_sources()}
    selection, forced = _select(graph, patterns, existing, raw_groups)
    raw = {key for key in selection if graph.get(key).group_name in raw_groups}
    to_sync = selection if full else _changed_sources(settings, graph, instance, raw, existing)
    results = []
    try:
        if to_sync:
            results.append(execute(job, instance, sorted(to_sync), run_config=QUIET))
        if not full:
            rest = selection - raw
            # A source whose sync failed (its step is named after its dataset) leaves what reads it as it was.
            failed = {event.step_key for result in results for event in step_failures(result)}
            not_synced = AssetSelection.groups(*failed).downstream().resolve(graph) if failed else set()
            missing = {key for key in rest if tuple(key.path) not in existing}
            rebuild = (stale_keys(instance, graph, rest, missing) | forced) - not_synced
            if rebuild:
                results.append(execute(job, instance, sorted(rebuild), run_config=QUIET))
            else:
                print(f"Nothing changed since the last run: no table rebuilt ({len(rest)} up to date; "
                      "`payback run --full` rebuilds them all).")
    except RunInterrupted:
        exit_on_interrupt()
    failures = [event for result in results for event in step_failures(result)]
    for event in failures:
        print(f"payback: {event.step_key} failed: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    checks = [key for key in graph.asset_check_keys if key.asset_key in selection]
    return report_checks(latest_check_evaluations(instance, checks)) and not failures


def _changed_sources(settings: Settings, graph, instance, raw: set, existing: set) -> set:
    """The raw tables to sync: every selected source's, but a source that can tell its content without a sync (the
    exports folder) is skipped when it holds what its last sync loaded and its tables are in the database."""
    from dagster import AssetSelection

    from pipelines.raw_assets import last_sync
    from pipelines.sources.registry import declared_sources

    to_sync = set(raw)
    for source in declared_sources():
        keys = raw & AssetSelection.groups(source.dataset).resolve(graph)
        if (keys and source.version and all(tuple(key.path) in existing for key in keys)
                and source.version(settings) == last_sync(instance, keys)[1]):
            print(f"  {source.name}: unchanged since its last sync")
            to_sync -= keys
    return to_sync


QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}



def _format(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def print_table(columns: list[str], rows: list[tuple], right: list[bool] | None = None) -> None:
    """Rows under a header; numeric columns right-aligned unless `right` says which."""
    cells = [[_format(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if right is None:
        right = [all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
                 for i in range(len(columns))]

    def line(values):
        padded = (v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True))
        return "  ".join(padded).rstrip()

    print(line(columns))
    print("  ".join("─" * w for w in widths))
    for row in cells:
        print(line(row))


# The last complete months and quarters at the as-of date of the build (the parameter), up to the last day
# with data.
SUMMARY_SQL = f"""
with {LATEST_DATA_DAY},
complete as (
    select u.*, row_number() over (partition by period_grain order by period_start desc) as recency
    from marts.unit_economics u, latest
    where period_grain in ('month', 'quarter')
      and period_end <= ?
      and period_start <= last_data_day
)
select
    case period_grain when 'month' then strftime(period_start, '%Y-%m')
         else year(period_start) || '-Q' || quarter(period_start) end as period,
    paid_spend as spend, sm_cost, new_customers, cac, ltv, ltv_to_cac, ltv_to_cac_status,
    cac_payback_months as payback_months, payback_status, retention_rate, lead_to_customer_rate as conversion_rate
from complete
where (period_grain = 'month' and recency <= 3) or (period_grain = 'quarter' and recency <= 4)
order by period_grain, period_start
"""

SUMMARY_COLUMNS = ["period", "spend", "S&M cost", "new cust.", "CAC", "LTV", "LTV:CAC", "payback (mo)",
                   "retention", "conversion"]
STATUS_MARKS = {"on_target": "✓", "below_target": "✗", "too_slow": "✗"}


def _defined(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _summary_row(row: tuple) -> tuple[str, ...]:
    """One period as printed: money in whole units, a dash for anything undefined (NULL or NaN), each target's
    status as a mark beside its number."""
    (period, spend, sm_cost, new_customers, cac, ltv, ltv_to_cac, ltv_to_cac_status, payback, payback_status,
     retention, conversion) = row

    def shown(value, pattern: str, status: str | None = None) -> str:
        if not _defined(value):
            return "—"
        return pattern.format(value) + (f" {STATUS_MARKS[status]}" if status in STATUS_MARKS else "")

    return (period, shown(spend, "{:,.0f}"), shown(sm_cost, "{:,.0f}"), shown(new_customers, "{:,}"),
            shown(cac, "{:,.0f}"), shown(ltv, "{:,.0f}"), shown(ltv_to_cac, "{:.1f}x", ltv_to_cac_status),
            shown(payback, "{:.1f}", payback_status), shown(retention, "{:.1%}"), shown(conversion, "{:.1%}"))


def _money(value) -> str:
    return f"{value:,.0f}" if _defined(value) else "—"


def _channel_row(row: tuple) -> tuple[str, ...]:
    channel, spend, customers, cac, ratio, status = row
    def shown(value, pattern: str) -> str:
        return pattern.format(value) if _defined(value) else "—"

    return (channel, shown(spend, "{:,.0f}"), shown(customers, "{:,.1f}"), shown(cac, "{:,.0f}"),
            ratio or "—", (status or "").replace("_", " "))


def print_summary(settings: Settings) -> None:
    """The headline numbers, labelled with the settings the tables were built with (marts.build_info), and a
    warning when the current settings differ."""
    from pipelines.attribution.summary import channel_summary
    from pipelines.build_info import differences, read_build_info
    from pipelines.spend_summary import spend_summary

    with closing(read_connection(settings)) as con:
        built = read_build_info(con)
        rows = con.execute(SUMMARY_SQL, [built["as_of"]]).fetchall() if built else []
        channels = channel_summary(con) if built else None
        spend = spend_summary(con, built["reporting_currency"]) if built else None
    if built is None:
        print("These tables were built by an earlier version of Payback, which did not record its settings: run "
              "`payback run` to rebuild.")
        return
    changed = differences(built, settings, compare_as_of=bool(os.environ.get("PAYBACK_AS_OF", "").strip()))
    if changed:
        print("⚠ The settings changed since these tables were built; the figures below are the tables':")
        for difference in changed:
            print(f"    {difference}")
        print("  Run `payback run` to rebuild them with the current settings.")
    if not rows:
        print("No complete month or quarter with data yet: drop exports and run `payback run`.")
        return
    print(f"Payback — last complete months and quarters, as of {built['as_of']} "
          f"(built {built['built_at']:%Y-%m-%d %H:%M} UTC)")
    print(f"Money in {built['reporting_currency']}; S&M cost = paid spend + every other sales and marketing cost. "
          f"Targets: LTV:CAC ≥ {built['ltv_cac_target']:g}, payback ≤ {built['payback_target_months']:g} months.")
    print_table(SUMMARY_COLUMNS, [_summary_row(row) for row in rows], right=[False] + [True] * 9)
    print("✓ target met · ✗ missed (LTV:CAC below target, payback too slow) · — undefined, never zero: no cost data, "
          "no new")
    print("customer, or no customer lost (no formula LTV). Definitions: docs/metrics.md")
    title, columns, spend_rows = spend
    print()
    print(title)
    if spend_rows:
        print_table(columns, [(platform, channel, _money(amount), paid_in, left_out)
                              for platform, channel, amount, paid_in, left_out in spend_rows],
                    right=[False, False, True, False, False])
    title, columns, channel_rows = channels
    print()
    print(title)
    if channel_rows:
        print_table(columns, [_channel_row(row) for row in channel_rows], right=[False] + [True] * 5)
        print("Customers are attributed (shares of a customer under multi-touch models); LTV:CAC is the 12-month "
              "realized LTV")
        print('over the fully loaded CAC. Every model: payback query "select * from marts.channel_economics"')
    print('All periods: payback query "select * from marts.unit_economics"')


def print_sources(settings: Settings) -> None:
    """Each source: configured or not, its last successful sync and the rows of each raw table."""

    from pipelines.sources.registry import declared_sources

    rows = []
    con = read_connection(settings) if settings.duckdb_path.exists() else None
    try:
        for source in declared_sources():
            dataset = source.dataset
            last_sync, counts = None, []
            tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ? "
                                 "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY 1",
                                 [dataset]).fetchall() if con else []
            if tables and con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? "
                                      "AND table_name = '_dlt_loads'", [dataset]).fetchall()[0][0]:
                last_sync = con.execute(f"SELECT max(inserted_at) FROM {dataset}._dlt_loads WHERE status = 0"
                                        ).fetchall()[0][0]
            for (table,) in tables:
                counts.append(f"{table} {con.execute(f'SELECT count(*) FROM {dataset}.{table}').fetchall()[0][0]:,}")
            configured = "yes" if source.name in settings.sources else f"no — set {source.requirement()}"
            rows.append((source.name, configured, last_sync, ", ".join(counts) or None))
    finally:
        if con:
            con.close()
    print_table(["source", "configured", "last sync (UTC)", "rows"], rows)


def read_connection(settings: Settings):
    """A read-only connection for the CLI's readers. While a run's step writes the file nobody can read it: wait a
    little (steps hold it for seconds at a time), then say plainly that a run holds it (`DatabaseBusy`)."""
    from pipelines.warehouse import connect

    return connect(settings, read_only=True, wait_seconds=READER_WAIT_SECONDS,
                   say=lambda line: print(f"payback: {line}", file=sys.stderr))


def check_read_only(sql: str) -> None:
    """Accept only queries: DuckDB's own parser must read every statement as a SELECT (which covers WITH, VALUES,
    FROM-first, DESCRIBE, SHOW and SUMMARIZE). EXPLAIN, PRAGMA, EXPORT, COPY, ATTACH, SET, CALL… are refused:
    some of them write files even on a read-only connection."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise ValueError("no SQL statement given")
    refused = [statement.type.name for statement in statements if statement.type.name != "SELECT"]
    if refused:
        raise ValueError(f"payback query runs queries only (SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE); "
                         f"a {refused[0]} statement is refused")


def run_query(settings: Settings, sql: str, output_format: str) -> int:
    try:
        check_read_only(sql)
        if not settings.duckdb_path.exists():
            raise ValueError(f"no database at {settings.duckdb_path}: run `payback run` (or `make demo`) first")
        with closing(read_connection(settings)) as con:
            con.execute("SET autoinstall_known_extensions = false")  # a query never downloads anything
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
    except (duckdb.Error, ValueError) as error:
        print(f"payback query: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        json.dump([dict(zip(columns, row, strict=True)) for row in rows], sys.stdout, default=str, indent=2)
        print()
    else:
        print_table(columns, rows)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="payback", description="What a customer costs to win, and is worth.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="write the sample exports, build every table, print the summary")
    run = commands.add_parser("run", help="sync the configured sources and rebuild the tables whose code, settings "
                                          "or data changed")
    run.add_argument("--full", action="store_true", help="rebuild every selected table, changed or not")
    run.add_argument("--select", action="append",
                     help="a group (raw_exports, staging, marts, …) or asset key (marts/cac, marts/*); "
                          "repeat or comma-separate; what depends on it is rebuilt too")
    commands.add_parser("summary", help="headline numbers of the last complete months and quarters")
    commands.add_parser("sources", help="each source: configured or not, last sync, row counts")
    query = commands.add_parser("query", help="run a read-only SQL query on the database")
    query.add_argument("sql")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    commands.add_parser("ui", help="start the Dagster UI on http://127.0.0.1:3000 (what `make ui` runs)")
    args = parser.parse_args(argv)
    try:
        return _command(args)
    except BrokenPipeError:  # `payback query … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DatabaseBusy as busy:
        print(f"payback: {busy}", file=sys.stderr)
        return 1


def _command(args) -> int:
    settings = _settings(for_reading=args.command in ("query", "summary"))
    if args.command == "ui":
        from pipelines.local_run import project_instance

        project_instance()  # the instance's storage is created here, never by two processes at once
        dagster = Path(sys.executable).with_name("dagster")  # installed beside this Python, in the same venv
        os.execv(dagster, [str(dagster), "dev", "-m", "pipelines.definitions"])
    if args.command == "query":
        return run_query(settings, args.sql, args.format)
    if args.command == "sources":
        print_sources(settings)
        return 0
    if args.command == "summary":
        if not settings.duckdb_path.exists():
            print(f"payback: no database at {settings.duckdb_path}: run `payback run` first", file=sys.stderr)
            return 1
        print_summary(settings)
        return 0
    if args.command == "demo":
        from pipelines.demo_data import generate

        written = generate(settings.exports_dir)
        print(f"Wrote sample exports to {settings.exports_dir}:")
        print(textwrap.fill(", ".join(f"{name} ({rows:,})" for name, rows in written.items()), width=118,
                            initial_indent="  ", subsequent_indent="  "))
    patterns = [p for item in (getattr(args, "select", None) or []) for p in item.split(",") if p]
    for source in _unconfigured_selected(settings, patterns):
        print(f"payback: {source.name} is not configured: set {source.requirement()}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Building {settings.duckdb_path} …")
    clean = run_pipeline(settings, patterns, full=getattr(args, "full", False))
    if args.command == "demo":
        print()
        print_summary(settings)
        print()
        print("Next: `make ui` to browse the asset graph and checks at http://127.0.0.1:3000, or")
        print("  .venv/bin/payback query \"select * from marts.cac where period_grain = 'quarter'\"")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())

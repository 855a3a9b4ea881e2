"""The Dagster code location: raw exports → staging → intermediate → marts, their checks, schedules that sync the
sources, a sensor on the exports folder, and a sensor rebuilding what a sync changed. Steps run in one process, one
at a time: DuckDB has a single writer."""

import hashlib

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    definitions,
    in_process_executor,
    sensor,
)
from dagster_dlt import DagsterDltResource

from pipelines.attribution.assets import build_markov_asset
from pipelines.build_info import build_info_asset
from pipelines.checks import all_checks, build_asset_check
from pipelines.config import Settings
from pipelines.exports.source import DATASET as EXPORTS_DATASET
from pipelines.exports.source import folder_version
from pipelines.freshness import stale_keys
from pipelines.raw_assets import build_all_raw_assets, last_sync
from pipelines.sources.registry import declared_sources
from pipelines.sql_assets import build_sql_asset
from pipelines.sql_models import discover_models
from pipelines.writer_pool import release_dead_runs

REFRESH_JOB = "refresh_all"
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def exports_folder_sensor(settings: Settings, job):
    @sensor(job=job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
            description=f"Starts a refresh when the files in {settings.exports_dir} differ from those the last sync "
                        "loaded (added, changed, removed, or moved back in).")
    def exports_changed(context: SensorEvaluationContext):
        folder = folder_version(settings.exports_dir)
        keys = AssetSelection.groups(EXPORTS_DATASET).resolve(context.repository_def.asset_graph)
        run_id, loaded = last_sync(context.instance, keys)
        if folder == loaded:
            return SkipReason("the exports folder holds what the last sync loaded")
        # One run per folder content and last sync: a tick while that run is queued asks nothing more, a file
        # moved back in after a sync asks again.
        return RunRequest(run_key=f"{folder}:{run_id}")

    return exports_changed


def stale_tables_sensor(job, raw: AssetSelection):
    @sensor(job=job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
            description="Rebuilds the tables whose SQL, settings or upstream data changed, or that were never built, "
                        "with what reads them, once no run is queued or in progress: after a scheduled or sensor "
                        "sync, or a source materialized from the UI. Nothing changed: no run. Nothing is built on "
                        "a source never synced (its sync, or `payback run`, comes first).")
    def rebuild_stale(context: SensorEvaluationContext):
        instance = context.instance
        if instance.get_run_records(RunsFilter(statuses=UNFINISHED), limit=1):
            return SkipReason("a run is queued or in progress: its changes are rebuilt once it ends")
        graph = context.repository_def.asset_graph
        entries = {record.asset_entry.asset_key: record.asset_entry
                   for record in instance.get_asset_records(list(graph.get_all_asset_keys()))}
        raw_keys = raw.resolve(graph)
        unsynced = {key for key in raw_keys if key not in entries or entries[key].last_materialization is None}
        waiting = AssetSelection.assets(*unsynced).downstream().resolve(graph) if unsynced else set()
        stale = stale_keys(instance, graph, graph.get_all_asset_keys() - raw_keys - waiting, set())
        if not stale:
            return SkipReason("every table is up to date with its code, settings and inputs"
                              + (f" (not built on {', '.join(sorted(k.to_user_string() for k in unsynced))}: "
                                 "never synced)" if unsynced else ""))
        # One run per stale set and state of the instance: a rebuild that fails is not retried every tick, a
        # sync after it asks again.
        last_event = max((entry.last_event_storage_id or 0) for entry in entries.values())
        names = sorted(key.to_user_string() for key in stale)
        run_key = hashlib.sha256(f"{names}:{last_event}".encode()).hexdigest()[:16]
        return RunRequest(run_key=run_key, asset_selection=sorted(stale))

    return rebuild_stale


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Marks failed the runs whose process died (killed, crashed) and frees the writer pool slots "
                    "they held, so that the runs queued behind them go on.")
def writer_pool_recovery(context: SensorEvaluationContext):
    released = release_dead_runs(context.instance)
    return SkipReason("; ".join(released) if released else "every unfinished run is alive")


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.from_env()
    raw_assets = build_all_raw_assets(settings)
    models = discover_models(settings.sources)
    sql_assets = [build_sql_asset(model, settings) for model in models]
    build_info = build_info_asset(settings, [AssetKey([m.schema, m.name]) for m in models if m.schema == "marts"])
    configured = [source for source in declared_sources() if source.name in settings.sources]
    raw = AssetSelection.groups(*(source.dataset for source in configured))
    refresh = define_asset_job(REFRESH_JOB, selection=AssetSelection.all(),
                               description="Sync every configured source and rebuild every table, changed or not.")
    sync_all = define_asset_job("sync_all", selection=raw,
                                description="Sync every configured source; the rebuild_stale sensor then rebuilds "
                                            "the tables whose inputs changed.")
    syncs = {source.name: define_asset_job(f"sync_{source.name}", selection=AssetSelection.groups(source.dataset),
                                           description=f"Sync {source.title}; the rebuild_stale sensor then rebuilds "
                                                       "the tables whose inputs changed.")
             for source in configured}
    schedules = [ScheduleDefinition(name="daily_refresh", job=sync_all, cron_schedule=settings.schedule_cron,
                                    default_status=DefaultScheduleStatus.RUNNING)]
    schedules += [ScheduleDefinition(name=f"{source.name}_daily", job=syncs[source.name], cron_schedule=cron,
                                     default_status=DefaultScheduleStatus.RUNNING)
                  for source in configured if (cron := source.cron(settings))]
    return Definitions(
        assets=[*raw_assets, *sql_assets, build_info, build_markov_asset(settings)],
        asset_checks=[build_asset_check(check, settings) for check in all_checks()],
        jobs=[refresh, sync_all, *syncs.values()],
        schedules=schedules,
        sensors=[exports_folder_sensor(settings, syncs["exports"]),
                 stale_tables_sensor(refresh, raw), writer_pool_recovery],
        resources={"dlt": DagsterDltResource()},
        executor=in_process_executor,
    )


@definitions
def defs() -> Definitions:
    """Loaded by Dagster (`make ui`) when it needs the code location, not on import."""
    return build_definitions()

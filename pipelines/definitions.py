"""The Dagster code location: raw exports → staging → intermediate → marts, their checks, a daily schedule and
a sensor on the exports folder. Steps run in one process, one at a time: DuckDB has a single writer."""

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
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
from pipelines.raw_assets import build_all_raw_assets, last_sync
from pipelines.sources.registry import declared_sources
from pipelines.sql_assets import build_sql_asset
from pipelines.sql_models import discover_models
from pipelines.writer_pool import release_dead_runs

REFRESH_JOB = "refresh_all"


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
    refresh = define_asset_job(REFRESH_JOB, selection=AssetSelection.all(),
                               description="Sync every configured source and rebuild every table.")
    jobs, schedules = [refresh], [ScheduleDefinition(name="daily_refresh", job=refresh,
                                                     cron_schedule=settings.schedule_cron,
                                                     default_status=DefaultScheduleStatus.RUNNING)]
    for source in declared_sources():
        cron = source.cron(settings)
        if source.name in settings.sources and cron:
            job = define_asset_job(f"sync_{source.name}", selection=AssetSelection.groups(source.dataset).downstream(),
                                   description=f"Sync {source.title} and rebuild what depends on it.")
            jobs.append(job)
            schedules.append(ScheduleDefinition(name=f"{source.name}_daily", job=job, cron_schedule=cron,
                                                default_status=DefaultScheduleStatus.RUNNING))
    return Definitions(
        assets=[*raw_assets, *sql_assets, build_info, build_markov_asset(settings)],
        asset_checks=[build_asset_check(check, settings) for check in all_checks()],
        jobs=jobs,
        schedules=schedules,
        sensors=[exports_folder_sensor(settings, refresh), writer_pool_recovery],
        resources={"dlt": DagsterDltResource()},
        executor=in_process_executor,
    )


@definitions
def defs() -> Definitions:
    """Loaded by Dagster (`make ui`) when it needs the code location, not on import."""
    return build_definitions()

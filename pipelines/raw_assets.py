"""dlt sources as Dagster assets: one asset per raw table `[raw_<source>, table]`, loaded by one dlt run."""

from contextlib import closing
from functools import partial

import dlt
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCaseNaming
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.config import Settings
from pipelines.exports.source import DATASET as EXPORTS_DATASET
from pipelines.exports.source import declared_tables, exports_source, sync_exports
from pipelines.progress import report
from pipelines.sources.hubspot import hubspot_source
from pipelines.sources.hubspot.settings import DATASET as HUBSPOT_DATASET
from pipelines.sources.pipedrive import pipedrive_source
from pipelines.sources.pipedrive.settings import DATASET as PIPEDRIVE_DATASET
from pipelines.sources.salesforce import salesforce_source
from pipelines.sources.salesforce.settings import DATASET as SALESFORCE_DATASET
from pipelines.warehouse import STEP_WAIT_SECONDS, connect, dlt_working_dir
from pipelines.writer_pool import POOL as DUCKDB_POOL

# The destination's memory while dlt loads: enough to write a table from parquet without evicting what it is
# writing (at 256 MB loading 20M spend rows took a fifth longer), capped so that peak RSS stays flat in input size.
DESTINATION_MEMORY_LIMIT = "512MB"
DUCKDB_TYPES = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "bool": "BOOLEAN", "double": "DOUBLE",
                "bigint": "BIGINT", "date": "DATE", "json": "JSON"}


def make_pipeline(settings: Settings, name: str, dataset: str) -> dlt.Pipeline:
    """A dlt pipeline into the project's DuckDB file, working in `dlt_working_dir`."""
    path = settings.duckdb_path.resolve()
    # Raw rows have no order, and DuckDB writes a table from parquet about twice as fast when it may ignore it.
    credentials = DuckDbCredentials(str(path), global_config={"memory_limit": DESTINATION_MEMORY_LIMIT,
                                                              "preserve_insertion_order": False},
                                    local_config={"enable_progress_bar": False})
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=dataset,
        pipelines_dir=str(dlt_working_dir(settings.duckdb_path)),
    )


class RawTableTranslator(DagsterDltTranslator):
    """Asset key `[dataset, resource]`, grouped by source, so the graph shows the database."""

    def __init__(self, dataset: str):
        self.dataset = dataset

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        resource = data.resource
        return super().get_asset_spec(data).replace_attributes(
            key=AssetKey([self.dataset, resource.name]),
            deps=[],
            group_name=self.dataset,
            kinds={"dlt", "duckdb"},
            description=(resource.__doc__ or "").strip() or None,
        )


def ensure_tables(con, dataset: str, tables: dict[str, dict[str, dict]]) -> None:
    """Create, from their declared dlt columns, the raw tables no sync has filled yet, so that staging always
    runs (an empty folder or an empty CRM is valid)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
    naming = SnakeCaseNaming()  # the names dlt gives columns (AccountId -> account_id)
    for table, columns in tables.items():
        declared = ", ".join(
            f'"{naming.normalize_identifier(name)}" {DUCKDB_TYPES.get(hints.get("data_type"), "VARCHAR")}'
            for name, hints in columns.items())
        if declared:
            con.execute(f"CREATE TABLE IF NOT EXISTS {dataset}.{table} ({declared})")


def resource_tables(source) -> dict[str, dict[str, dict]]:
    """The tables an API source declares: one per resource, with the columns set in its hints."""
    return {resource.name: resource.columns or {} for resource in source.resources.values()}


def build_raw_assets(settings: Settings, name: str, dataset: str, source, tables: dict[str, dict[str, dict]],
                     sync=None, **run_options) -> AssetsDefinition:
    """The assets of one dlt source. `sync(run, say)`, when given, decides which source `run` loads, and how
    often (the exports: `sync_exports`); by default `source` is run once."""
    pipeline = make_pipeline(settings, f"payback_{name}", dataset)

    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline, name=dataset,
                dagster_dlt_translator=RawTableTranslator(dataset), pool=DUCKDB_POOL)
    def raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource):
        report(context, f"syncing {name}")
        # dlt fails at once on a file another program holds: wait for it first, as every step does.
        connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=partial(report, context)).close()

        def run(dlt_source=source):
            return list(dlt.run(context=context, dlt_source=dlt_source, **run_options))

        results = sync(run, partial(report, context)) if sync else run()
        with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=partial(report, context))) as con:
            ensure_tables(con, dataset, tables)
            for result in results:
                table = ".".join(result.asset_key.path)
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                loaded = result.metadata.get("rows_loaded")
                loaded_rows = getattr(loaded, "value", loaded) or 0
                report(context, f"{table}: {loaded_rows:,} rows loaded, {rows:,} in table")
                yield MaterializeResult(asset_key=result.asset_key,
                                        metadata={**result.metadata, "dagster/row_count": rows})

    return raw_tables


def build_all_raw_assets(settings: Settings) -> list[AssetsDefinition]:
    """The export folder always; each CRM whose credentials are set."""
    assets = [build_raw_assets(settings, "exports", EXPORTS_DATASET,
                               exports_source(settings.exports_dir, settings.reporting_timezone,
                                              settings.export_date_window), declared_tables(),
                               sync=partial(sync_exports, exports_dir=settings.exports_dir,
                                            reporting_timezone=settings.reporting_timezone,
                                            date_window=settings.export_date_window))]
    if settings.hubspot_access_token:
        source = hubspot_source(access_token=settings.hubspot_access_token, base_url=settings.hubspot_base_url,
                                extra_properties=settings.hubspot_extra_properties,
                                lookback_minutes=settings.hubspot_lookback_minutes)
        # API records arrive as dicts: parquet files, never INSERT VALUES, for the load.
        assets.append(build_raw_assets(settings, "hubspot", HUBSPOT_DATASET, source, resource_tables(source),
                                       loader_file_format="parquet"))
    if settings.pipedrive_api_token:
        source = pipedrive_source(api_token=settings.pipedrive_api_token, base_url=settings.pipedrive_base_url,
                                  lookback_minutes=settings.pipedrive_lookback_minutes)
        assets.append(build_raw_assets(settings, "pipedrive", PIPEDRIVE_DATASET, source, resource_tables(source),
                                       loader_file_format="parquet"))
    if "salesforce" in settings.sources:
        source = salesforce_source(
            instance_url=settings.salesforce_instance_url, access_token=settings.salesforce_access_token,
            client_id=settings.salesforce_client_id, client_secret=settings.salesforce_client_secret,
            refresh_token=settings.salesforce_refresh_token, token_url=settings.salesforce_token_url,
            lookback_minutes=settings.salesforce_lookback_minutes)
        assets.append(build_raw_assets(settings, "salesforce", SALESFORCE_DATASET, source, resource_tables(source),
                                       loader_file_format="parquet"))
    return assets

"""dlt sources as Dagster assets: one asset per raw table `[raw_<source>, table]`, loaded by one dlt run, for
every configured source (as each declares itself: `pipelines/sources/declaration.py`)."""

from contextlib import closing
from functools import partial

import dlt
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCaseNaming
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.config import Settings
from pipelines.progress import report
from pipelines.sources.registry import declared_sources
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
    """The assets of every configured source (the exports folder always)."""
    assets = []
    for declaration in declared_sources():
        if declaration.name in settings.sources:
            source = declaration.build(settings.source(declaration.name), settings)
            options = {"loader_file_format": declaration.loader_file_format} if declaration.loader_file_format else {}
            sync = partial(declaration.sync, settings=settings) if declaration.sync else None
            assets.append(build_raw_assets(settings, declaration.name, declaration.dataset, source,
                                           declaration.tables(source), sync=sync, **options))
    return assets

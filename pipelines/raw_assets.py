"""dlt sources as Dagster assets: one asset per raw table `[raw_<source>, table]`, loaded by one dlt run, for
every configured source (as each declares itself: `pipelines/sources/declaration.py`)."""

import fcntl
import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import dlt
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
)
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.configuration.providers import DictionaryProvider
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCaseNaming
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract import DltSource

from pipelines.config import Settings
from pipelines.freshness import table_version
from pipelines.progress import report
from pipelines.sources.registry import declared_sources
from pipelines.warehouse import STEP_WAIT_SECONDS, connect, dlt_working_dir
from pipelines.writer_pool import POOL as DUCKDB_POOL

# The destination's memory while dlt loads: enough to write a table from parquet without evicting what it is
# writing, capped so that peak RSS stays flat in input size.
DESTINATION_MEMORY_LIMIT = "512MB"
DUCKDB_TYPES = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "bool": "BOOLEAN", "double": "DOUBLE",
                "bigint": "BIGINT", "date": "DATE", "json": "JSON"}
Result = TypeVar("Result")
SOURCE_VERSION = "payback/source_version"  # the metadata of a sync that records SourceDeclaration.version


def last_sync(instance: DagsterInstance, keys) -> tuple[str | None, str | None]:
    """(run id, source version) of the latest sync of these raw tables: (None, None) when never synced; a version
    None when the sync recorded none."""
    events = [event for event in (instance.get_latest_materialization_event(key) for key in keys) if event]
    if not events:
        return None, None
    latest = max(events, key=lambda event: event.timestamp)
    value = latest.asset_materialization.metadata.get(SOURCE_VERSION)
    return latest.run_id, getattr(value, "value", None)


# dlt's settings for every pipeline Payback makes, under the pipeline's name (dlt looks there first):
# - the files rows pass through between dlt's steps are each read once right away, then deleted: compressing them
#   costs CPU and saves nothing;
# - a loaded file is deleted once its rows are in DuckDB, so that the disk holds the rows once (a failed load keeps
#   its files for the retry; LOAD__DELETE_COMPLETED_JOBS=false in the environment keeps them, to inspect a load);
PIPELINE_SETTINGS = {
    "normalize": {"data_writer": {"disable_compression": True}},
    "extract": {"data_writer": {"disable_compression": True}},
    "load": {"delete_completed_jobs": True},
}
_PIPELINE_PROVIDER = DictionaryProvider()


def _configure(name: str) -> None:
    """Give pipeline `name` PIPELINE_SETTINGS, through a dlt config provider of Payback's own, added once and
    after the environment's (which therefore wins). dlt sends no telemetry: it decides that from the environment
    alone, the first time its configuration is read, so that is the one variable set here."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    if _PIPELINE_PROVIDER not in dlt.config.config_providers:
        dlt.config.register_provider(_PIPELINE_PROVIDER)
    _PIPELINE_PROVIDER._config_doc[name] = PIPELINE_SETTINGS


def make_pipeline(settings: Settings, name: str, dataset: str) -> dlt.Pipeline:
    """A dlt pipeline into the project's DuckDB file, working in `dlt_working_dir`."""
    _configure(name)
    path = settings.duckdb_path.resolve()
    # Raw rows have no order, and DuckDB writes a table from parquet about twice as fast when it may ignore it.
    credentials = DuckDbCredentials(str(path), global_config={"memory_limit": DESTINATION_MEMORY_LIMIT,
                                                              "preserve_insertion_order": False},
                                    local_config={"enable_progress_bar": False})
    working_dir = dlt_working_dir(settings.duckdb_path)
    working_dir.mkdir(parents=True, exist_ok=True)
    # dlt sets up (and, when it holds no state, wipes) a pipeline's folder as it makes the pipeline: two processes
    # loading the code at once (two `payback run` on a new project) take turns, or one wipes what the other writes.
    with open(working_dir / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(credentials),
            dataset_name=dataset,
            pipelines_dir=str(working_dir),
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
    """Create, from their declared dlt columns, the raw tables no sync has filled yet, and add the declared columns
    an older table lacks, so that staging always runs (an empty folder or an empty CRM is valid; dlt compares with
    the table's own columns before it adds one)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
    naming = SnakeCaseNaming()  # the names dlt gives columns (AccountId -> account_id)
    for table, columns in tables.items():
        declared = [f'"{naming.normalize_identifier(name)}" {DUCKDB_TYPES.get(hints.get("data_type"), "VARCHAR")}'
                    for name, hints in columns.items()]
        if declared:
            con.execute(f"CREATE TABLE IF NOT EXISTS {dataset}.{table} ({', '.join(declared)})")
            for column in declared:
                con.execute(f"ALTER TABLE {dataset}.{table} ADD COLUMN IF NOT EXISTS {column}")


@dataclass(frozen=True)
class RawSource:
    """One dlt source and how it loads into its raw dataset. `tables` are the tables it declares, created empty when
    no sync has filled them; `sync(run, say)`, when given, decides which source `run` loads, and how often (the
    exports: `sync_exports`), where by default `source` is run once; `run_options` go to dlt's run."""

    name: str
    dataset: str
    source: DltSource
    tables: dict[str, dict[str, dict]]
    sync: Callable | None = None
    run_options: dict = field(default_factory=dict)
    version: Callable[[Settings], str] | None = None  # SourceDeclaration.version

    def pipeline(self, settings: Settings) -> dlt.Pipeline:
        return make_pipeline(settings, f"payback_{self.name}", self.dataset)

    def load(self, settings: Settings, run: Callable[[DltSource], Result], say: Callable[[str], None]) -> Result:
        """One sync of the source: `run(dlt_source)` loads it (Dagster's dlt resource in the asset, the dlt pipeline
        itself elsewhere), then the declared tables no sync has filled are created, so that staging always runs
        (an empty folder or an empty CRM is valid). Returns what the last `run` returned."""
        say(f"syncing {self.name}")
        # dlt fails at once on a file another program holds: wait for it first, as every step does.
        connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=say).close()
        results = self.sync(run, say) if self.sync else run(self.source)
        with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=say)) as con:
            ensure_tables(con, self.dataset, self.tables)
        return results


def build_raw_assets(settings: Settings, raw: RawSource) -> AssetsDefinition:
    """The assets of one dlt source, loaded by one dlt run (or as many as its `sync` decides)."""

    @dlt_assets(dlt_source=raw.source, dlt_pipeline=raw.pipeline(settings), name=raw.dataset,
                dagster_dlt_translator=RawTableTranslator(raw.dataset), pool=DUCKDB_POOL)
    def raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource):
        say = partial(report, context)
        version = {SOURCE_VERSION: raw.version(settings)} if raw.version else {}
        results = raw.load(settings, lambda source: list(dlt.run(context=context, dlt_source=source,
                                                                 **raw.run_options)), say)
        with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=say)) as con:
            for result in results:
                table = ".".join(result.asset_key.path)
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                loaded = result.metadata.get("rows_loaded")
                loaded_rows = getattr(loaded, "value", loaded) or 0
                say(f"{table}: {loaded_rows:,} rows loaded, {rows:,} in table")
                yield MaterializeResult(asset_key=result.asset_key,
                                        metadata={**result.metadata, "dagster/row_count": rows, **version},
                                        data_version=table_version(con, *result.asset_key.path))

    return raw_tables


def raw_sources(settings: Settings) -> list[RawSource]:
    """Every configured source (the exports folder always), as each declares itself."""
    sources = []
    for declaration in declared_sources():
        if declaration.name in settings.sources:
            source = declaration.build(settings.source(declaration.name), settings)
            options = {"loader_file_format": declaration.loader_file_format} if declaration.loader_file_format else {}
            sync = partial(declaration.sync, settings=settings) if declaration.sync else None
            sources.append(RawSource(declaration.name, declaration.dataset, source, declaration.tables(source),
                                     sync=sync, run_options=options, version=declaration.version))
    return sources


def build_all_raw_assets(settings: Settings) -> list[AssetsDefinition]:
    return [build_raw_assets(settings, raw) for raw in raw_sources(settings)]

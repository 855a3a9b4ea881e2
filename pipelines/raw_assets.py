"""The generic export source as Dagster assets: one asset per raw table, loaded by one dlt pipeline run."""

from contextlib import closing

import dlt
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.config import Settings
from pipelines.exports.source import DATASET, DUCKDB_MEMORY_LIMIT, ensure_raw_tables, exports_source
from pipelines.progress import report
from pipelines.warehouse import connect

DUCKDB_POOL = "duckdb_writer"  # DuckDB has one writer: every asset that writes shares this pool (limit 1)


def make_pipeline(settings: Settings, name: str, dataset: str) -> dlt.Pipeline:
    """A dlt pipeline into the project's DuckDB file. Its working folder sits beside the database, one per
    database, so two databases never share state; the state itself also lives in DuckDB (restored each run)."""
    path = settings.duckdb_path.resolve()
    credentials = DuckDbCredentials(str(path), global_config={"memory_limit": DUCKDB_MEMORY_LIMIT},
                                    local_config={"enable_progress_bar": False})
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=dataset,
        pipelines_dir=str(path.parent / ".dlt" / path.stem),
    )


class ExportsTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        resource = data.resource
        return super().get_asset_spec(data).replace_attributes(
            key=AssetKey([DATASET, resource.name]),
            deps=[],
            group_name=DATASET,
            kinds={"dlt", "duckdb"},
            description=(resource.__doc__ or "").strip() or None,
        )


def build_raw_export_assets(settings: Settings):
    source = exports_source(settings.exports_dir, settings.reporting_timezone)
    pipeline = make_pipeline(settings, "payback_exports", DATASET)

    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline, name="raw_exports",
                dagster_dlt_translator=ExportsTranslator(), pool=DUCKDB_POOL)
    def raw_exports(context: AssetExecutionContext, dlt: DagsterDltResource):
        report(context, f"loading exports from {settings.exports_dir}")
        results = list(dlt.run(context=context))
        with closing(connect(settings)) as con:
            ensure_raw_tables(con)
            for result in results:
                table = ".".join(result.asset_key.path)
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                loaded = result.metadata.get("rows_loaded")
                loaded_rows = getattr(loaded, "value", loaded) or 0
                report(context, f"{table}: {loaded_rows:,} rows loaded, {rows:,} in table")
                yield MaterializeResult(asset_key=result.asset_key,
                                        metadata={**result.metadata, "dagster/row_count": rows})

    return raw_exports

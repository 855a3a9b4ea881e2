"""Each SQL model as a Dagster asset keyed `[schema, table]`, so the asset graph is the database."""

from contextlib import closing
from functools import partial

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from pipelines.config import Settings
from pipelines.freshness import code_version
from pipelines.progress import report
from pipelines.sql_models import TRANSFORMS_DIR, SqlModel
from pipelines.warehouse import STEP_WAIT_SECONDS, connect
from pipelines.writer_pool import POOL

PREVIEW_ROWS = 12


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _preview(con, model: SqlModel) -> str:
    """The latest rows of a mart: month grain when it has one, newest periods first."""
    table = f"{model.schema}.{model.name}"
    columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    where = "WHERE period_grain = 'month'" if "period_grain" in columns else ""
    order = "ORDER BY period_start DESC" if "period_start" in columns else ""
    rows = con.execute(f"SELECT * FROM {table} {where} {order} LIMIT {PREVIEW_ROWS}").fetchall()
    return markdown_table(columns, rows)


def build_sql_asset(model: SqlModel, settings: Settings) -> AssetsDefinition:
    columns = model.column_descriptions

    @asset(
        key=AssetKey([model.schema, model.name]),
        deps=[AssetKey(list(upstream)) for upstream in model.upstream],
        description=model.documentation,
        code_version=code_version(model.code_version, settings),
        group_name=model.schema,
        kinds={"sql", "duckdb"},
        pool=POOL,
        metadata={
            **({"sql_file": MetadataValue.path(str(model.path.relative_to(TRANSFORMS_DIR.parent)))}
               if model.path else {"sql": MetadataValue.md(f"```sql\n{model.sql}```")}),
            **({"dagster/column_schema": TableSchema(
                columns=[TableColumn(name=name, description=meaning) for name, meaning in columns.items()]
            )} if columns else {}),
        },
    )
    def sql_model(context: AssetExecutionContext) -> MaterializeResult:
        with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=partial(report, context))) as con:
            rows = model.materialize(con)
            described = con.execute(f"DESCRIBE {model.schema}.{model.name}").fetchall()
            metadata = {
                "dagster/row_count": rows,
                "dagster/column_schema": TableSchema(columns=[
                    TableColumn(name, str(kind), description=columns.get(name)) for name, kind, *_ in described]),
            }
            if model.schema == "marts":
                metadata["preview"] = MetadataValue.md(_preview(con, model))
        report(context, f"{model.schema}.{model.name}: {rows:,} rows")
        return MaterializeResult(metadata=metadata)

    return sql_model

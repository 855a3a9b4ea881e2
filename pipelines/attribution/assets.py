"""The Markov model as a Dagster asset keyed `[intermediate, markov_removal_effects]`, between the SQL that counts the
paths' steps and the marts that read its removal effects (their dependency on it is parsed from their SQL)."""

from contextlib import closing
from functools import partial

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    TableColumn,
    TableSchema,
    asset,
)

from pipelines.attribution import markov
from pipelines.config import Settings
from pipelines.freshness import code_version
from pipelines.progress import report
from pipelines.warehouse import STEP_WAIT_SECONDS, connect
from pipelines.writer_pool import POOL


def build_markov_asset(settings: Settings) -> AssetsDefinition:
    @asset(
        key=AssetKey([markov.SCHEMA, markov.TABLE]),
        deps=[AssetKey(list(markov.UPSTREAM))],
        description=markov.DESCRIPTION,
        code_version=code_version(markov.CODE_VERSION, settings),
        group_name=markov.SCHEMA,
        kinds={"python", "duckdb"},
        pool=POOL,
        metadata={"dagster/column_schema": TableSchema(
            columns=[TableColumn(name=name, description=meaning) for name, meaning in markov.COLUMNS.items()])},
    )
    def markov_removal_effects(context: AssetExecutionContext) -> MaterializeResult:
        with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=partial(report, context))) as con:
            rows = markov.materialize(con)
        report(context, f"{markov.SCHEMA}.{markov.TABLE}: {rows:,} rows")
        return MaterializeResult(metadata={"dagster/row_count": rows})

    return markov_removal_effects

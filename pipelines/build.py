"""Every table built in dependency order without Dagster: the SQL models, and the Markov solve (Python) before the
first model that reads it. The benchmark and the tests' direct runs build through this; Dagster builds the same
models as assets, one per table."""

import duckdb

from pipelines.attribution import markov
from pipelines.sql_models import discover_models


def build_tables(con: duckdb.DuckDBPyConnection, sources: tuple[str, ...] = ("exports",)) -> None:
    solved = False
    for model in discover_models(sources):
        if (markov.SCHEMA, markov.TABLE) in model.upstream and not solved:
            markov.materialize(con)
            solved = True
        model.materialize(con)

"""Which tables a run must rebuild, by Dagster's own staleness: each raw table reports a data version (a hash of
its content), each built table a code version (its code and the settings the SQL reads), and Dagster derives a
built table's data version from both. A table is rebuilt when its code, its settings or an upstream version
changed, or when it is missing; nothing else is."""

import hashlib
import json

import duckdb
from dagster import AssetKey, AssetSelection, DagsterInstance, DataVersion
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContext

from pipelines.config import Settings
from pipelines.warehouse import TRANSFORMS_DIR

DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")  # which load wrote a row, not what the row says


def table_version(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> DataVersion:
    """What a raw table holds, whichever load wrote it: its rows' count and an order-free sum of their hashes. A
    sync that re-reads unchanged records leaves it as it was."""
    columns = [name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table]).fetchall() if name not in DLT_COLUMNS]
    hashed = f"hash({', '.join(f'{chr(34)}{name}{chr(34)}' for name in columns)})" if columns else "0"
    count, total = con.execute(f'SELECT count(*), coalesce(sum({hashed}::HUGEINT), 0) FROM "{schema}"."{table}"'
                               ).fetchall()[0]
    return DataVersion(f"{count}-{total:x}")


def settings_version(settings: Settings) -> str:
    """The part of every built table's code version that is not its own SQL: the settings the SQL reads, the
    shared macros and the channel map (a file the SQL reads: an edit of it rebuilds what it decides)."""
    text = json.dumps(settings.sql_variables(), default=str, sort_keys=True)
    text += (TRANSFORMS_DIR / "macros.sql").read_text()
    text += settings.channel_map_path.read_text(encoding="utf-8", errors="replace")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_version(own: str, settings: Settings) -> str:
    return hashlib.sha256(f"{own}:{settings_version(settings)}".encode()).hexdigest()[:16]


def stale_keys(instance: DagsterInstance, asset_graph, keys: set[AssetKey], missing: set[AssetKey]) -> set[AssetKey]:
    """The keys among `keys` Dagster finds stale (code, settings or an upstream version changed since their last
    build) or never built, the `missing` ones (gone from the database, whatever Dagster remembers), and every one
    downstream of those."""
    resolver = CachingStaleStatusResolver(instance, asset_graph, _Loading(instance))
    stale = missing | {key for key in keys if resolver.get_status(key) != StaleStatus.FRESH}
    # Dagster sees a new upstream version one level down only; what reads a stale table is rebuilt after it.
    return keys & AssetSelection.assets(*stale).downstream().resolve(asset_graph) if stale else set()


class _Loading(LoadingContext):
    """The cache Dagster's resolver reads the instance through, for one resolution."""

    def __init__(self, instance: DagsterInstance):
        self._instance, self._loaders = instance, {}

    @property
    def instance(self) -> DagsterInstance:
        return self._instance

    @property
    def loaders(self) -> dict:
        return self._loaders

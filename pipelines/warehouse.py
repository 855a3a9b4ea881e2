"""The DuckDB file every layer lives in, and the session setup every transform and check runs with."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.config import Settings

TRANSFORMS_DIR = Path(__file__).resolve().parent.parent / "transforms"
MACROS_FILE = TRANSFORMS_DIR / "macros.sql"


def dlt_working_dir(duckdb_path: Path) -> Path:
    """dlt's working folder for a database: beside it, one per database, so two databases never share state (the
    state itself also lives in DuckDB, restored each run)."""
    path = duckdb_path.resolve()
    return path.parent / ".dlt" / path.stem


def connect(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with the configuration set as SQL variables and the shared macros defined."""
    if not read_only:
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.duckdb_path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    for name, value in settings.sql_variables().items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    con.execute(MACROS_FILE.read_text())
    return con

"""The DuckDB file every layer lives in, and the session setup every transform and check runs with."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.config import Settings

TRANSFORMS_DIR = Path(__file__).resolve().parent.parent / "transforms"
MACROS_FILE = TRANSFORMS_DIR / "macros.sql"
RETRY_SECONDS = 0.5
# A step waits this long for a program that holds the file (a long `payback query`, a `duckdb` shell), then fails
# naming it; a reader from the CLI waits as long for a run's step to let go.
STEP_WAIT_SECONDS = 600


class DatabaseBusy(RuntimeError):
    """Another process holds the database file (DuckDB lets one process write it, and none read it meanwhile)."""


def dlt_working_dir(duckdb_path: Path) -> Path:
    """dlt's working folder for a database: beside it, one per database, so two databases never share state (the
    state itself also lives in DuckDB, restored each run)."""
    path = duckdb_path.resolve()
    return path.parent / ".dlt" / path.stem


def _holder(error: duckdb.Error) -> str | None:
    """The process named by DuckDB's lock error ('… (PID 123)'), None when the error is not about the lock."""
    if "Could not set lock on file" not in str(error):
        return None
    pid = re.search(r"\(PID (\d+)\)", str(error))
    return f"process {pid.group(1)}" if pid else "another process"


def open_database(path: Path, *, read_only: bool = False, wait_seconds: float = 0,
                  say: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database file, waiting up to `wait_seconds` while another process holds it (a run's step holds it
    for seconds at a time; `say` is told once what is waited for). Past that, `DatabaseBusy` names the holder."""
    deadline, told = time.monotonic() + wait_seconds, False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            holder = _holder(error)
            if holder is None:
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"{path} is in use by {holder} (a Payback run, or a program that opened the "
                                   "file); try again when it is done") from None
            if say and not told:
                say(f"waiting for {path}: {holder} is using it")
                told = True
            time.sleep(RETRY_SECONDS)


def connect(settings: Settings, *, read_only: bool = False, wait_seconds: float = 0,
            say: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the configuration set as SQL variables and the shared macros defined."""
    if not read_only:
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = open_database(settings.duckdb_path, read_only=read_only, wait_seconds=wait_seconds, say=say)
    con.execute("SET TimeZone = 'UTC'")
    for name, value in settings.sql_variables().items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    con.execute(MACROS_FILE.read_text())
    return con

"""The generic export source: a drop folder of CSV, Parquet or JSON-lines files, loaded by dlt into `raw_exports`.

One resource per export kind. Each loads only the files that changed since the last sync (path, size and
modification time kept in dlt state, which lives in DuckDB), merges rows by primary key (delete-insert; the
latest `updated_at` wins inside a load), and sends the rows that break the contract to `raw_exports.rejects`.
A file's good rows reach dlt as one parquet file (`handoff`), its rejects as arrow tables.
An ad platform's UI report (Google Ads, Meta Ads Manager, LinkedIn Campaign Manager) is recognised by its content,
whatever its name, and loads into `ad_spend` like an `ad_spend` file (`ad_reports`): merged by the same key, so a
report dropped again, or one overlapping another, replaces the rows it holds. (Where a platform's API sync holds the
same platform, campaign and day, the canonical `staging.spend` keeps the API's row: see `sql_models`.)
Run it with `sync_exports`: a file is read once, on the assumption that each key appears in it once, and the
rare file that breaks the assumption (or two files that hold one version of a record with different values) sends
the sync round again with the keys counted first.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

import dlt
import duckdb
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.dlt_errors import wrapped_error
from pipelines.exports.ad_reports import UNDERSTOOD, detect_ad_report
from pipelines.exports.contract import (
    DATE,
    KINDS,
    NUMBER,
    SUPPORTED_SUFFIXES,
    TIMESTAMP,
    DateWindow,
    ExportKind,
    kind_of,
)
from pipelines.exports.handoff import ParquetHandoff
from pipelines.exports.reader import (
    BATCH_ROWS,
    REJECT_SCHEMA,
    KeyRepeated,
    add_disagreeing_versions,
    plan_file,
    read_file,
    versions_disagree,
)

DATASET = "raw_exports"
READER_MEMORY_LIMIT = "256MB"  # the reader spills past it: peak RSS must stay under 1 GiB whatever the input size
# How far the reader may run ahead: about one batch (500k rows are 50-70 MB as arrow), so that DuckDB reads the
# next batch while the last one is written to parquet on the other core (DuckDB's default holds a fraction of one).
READ_AHEAD = "100MB"
REJECTS_TABLE = "rejects"
MERGE = {"disposition": "merge", "strategy": "delete-insert"}
DLT_TYPES = {NUMBER: "double", TIMESTAMP: "timestamp", DATE: "date"}

# Rejects of a file are replaced whenever that file is read again: a tombstone row deletes the old ones.
REJECT_COLUMNS = {"file": {"data_type": "text"}, "line": {"data_type": "bigint"}, "kind": {"data_type": "text"},
                  "reason": {"data_type": "text"}, "raw_row": {"data_type": "text"},
                  "_tombstone": {"data_type": "bool", "hard_delete": True}}
REJECT_HINTS = dlt.mark.make_hints(table_name=REJECTS_TABLE, write_disposition=MERGE, merge_key="file",
                                   primary_key=[], columns=REJECT_COLUMNS)


def kind_columns(kind: ExportKind, deduplicated: bool = False) -> dict[str, dict]:
    """The dlt column hints of an export kind's raw table, from the contract. `updated_at` orders the rows of a
    key only where a load may hold a key twice (dlt warns about the hint on a load declared deduplicated)."""
    columns = {c.name: {"data_type": DLT_TYPES.get(c.type, "text"), "nullable": c.name not in kind.primary_key}
               for c in kind.columns}
    for c in kind.columns:
        if c.type == TIMESTAMP:
            columns[c.name]["timezone"] = False  # UTC, stored without time zone: joins stay fast
    if kind.updated_at and not deduplicated:
        columns[kind.updated_at]["dedup_sort"] = "desc"
    return columns


def declared_tables() -> dict[str, dict[str, dict]]:
    """Every raw table of the export source with its columns, filled by a file or not."""
    return {**{kind.name: kind_columns(kind) for kind in KINDS.values()}, REJECTS_TABLE: REJECT_COLUMNS}


def kind_hints(kind: ExportKind, deduplicated: bool, into_empty_table: bool, file_columns: dict[str, dict]):
    """Merge by primary key. `deduplicated` (each key at most once in this load) spares dlt a window over the
    whole load to pick the latest row per key; loaded into an empty table, such rows are simply appended, which
    spares dlt the staging copy and the delete as well (the first load of a large export is most of its cost).
    The columns are the contract's, then the file's own beyond it (`file_columns`, typed from the file)."""
    appended = deduplicated and into_empty_table
    disposition = "append" if appended else {**MERGE, "deduplicated": deduplicated}
    columns = {**file_columns, **kind_columns(kind, deduplicated=deduplicated)}
    return dlt.mark.make_hints(table_name=kind.name, write_disposition=disposition,
                               primary_key=list(kind.primary_key), columns=columns)


def _destination_table_is_empty(table: str) -> bool:
    """Whether the raw table holds no row, asked of the table itself. dlt's own record of it (the schema's "seen
    data") is restored from the last completed load, so after a load killed once it had committed rows, that record
    says empty while the table is not: appending the rows again would double them."""
    with dlt.current.pipeline().sql_client() as client:
        try:
            with client.execute_query(f"SELECT 1 FROM {client.make_qualified_table_name(table)} LIMIT 1") as cursor:
                return not cursor.fetchall()
        except DatabaseUndefinedRelation:
            return True


def _rejects(table):
    table = table.append_column("_tombstone", pa.array([False] * table.num_rows, pa.bool_()))
    return dlt.mark.with_hints(table, REJECT_HINTS, create_table_variant=True)


def _tombstone(relative: str):
    empty = {name: pa.array([None], field.type) for name, field in zip(REJECT_SCHEMA.names, REJECT_SCHEMA, strict=True)}
    empty["file"] = pa.array([relative], pa.string())
    empty["_tombstone"] = pa.array([True], pa.bool_())
    table = pa.table(empty).cast(REJECT_SCHEMA.append(pa.field("_tombstone", pa.bool_())))
    return dlt.mark.with_hints(table, REJECT_HINTS, create_table_variant=True)


class ExportsFolderUnreadable(Exception):
    """The drop folder, or a folder in it, cannot be listed: its files would silently not load."""


def _unreadable_folder(error: OSError):
    raise ExportsFolderUnreadable(f"cannot read the exports folder {error.filename}: {error.strerror}") from error


def list_export_files(exports_dir: Path) -> dict[str, Path]:
    """Every file in the drop folder, by its path relative to the folder (hidden files and folders skipped): whatever
    is not a folder, so that a broken link or a pipe is reported, not skipped. A folder that cannot be listed fails
    the sync (`ExportsFolderUnreadable`); a missing drop folder holds no file."""
    if not exports_dir.exists():
        return {}
    files = {}
    for folder, subfolders, names in os.walk(exports_dir, onerror=_unreadable_folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if not name.startswith("."):
                path = Path(folder) / name
                files[path.relative_to(exports_dir).as_posix()] = path
    return dict(sorted(files.items()))


def fingerprint(path: Path) -> list[int] | None:
    """Size and modification time; None when there is none to read (a broken link)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def folder_version(exports_dir: Path) -> str:
    """What the drop folder holds, without reading a file: each file's path, size and modification time."""
    files = list_export_files(exports_dir)
    return hashlib.sha256(repr([(rel, fingerprint(path)) for rel, path in files.items()]).encode()).hexdigest()[:16]


AD_SPEND = "ad_spend"


def file_kind(relative: str, path: Path) -> tuple[str | None, bool]:
    """The export kind a file holds and whether it is an ad platform's UI report: by its name, else (a name of no
    kind, or an `ad_spend` file) by its content. None for a file of no kind or of an unsupported type."""
    kind = kind_of(relative)
    if kind in (None, AD_SPEND) and detect_ad_report(path):
        return AD_SPEND, True
    return (kind if path.suffix.lower() in SUPPORTED_SUFFIXES else None), False


def _reader_connection(reporting_timezone: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads the files. Its memory is capped (it spills to disk past the cap) so that
    reading stays flat in file size."""
    con = duckdb.connect(config={"memory_limit": READER_MEMORY_LIMIT})
    con.execute(f"SET streaming_buffer_size = '{READ_AHEAD}'")
    con.execute(f"SET TimeZone = '{reporting_timezone}'")  # an ISO time without offset is local time
    return con


FolderKinds = Callable[[], dict[str, tuple[Path, str | None, bool]]]


def _folder_kinds(exports_dir: Path) -> FolderKinds:
    """The folder's files, each with its kind and whether it is an ad report (`file_kind`), listed once per sync
    when the first resource asks: recognising a report reads its first lines, which every resource would repeat."""
    return functools.cache(lambda: {rel: (path, *file_kind(rel, path))
                                    for rel, path in list_export_files(exports_dir).items()})


def _kind_resource(kind: ExportKind, folder: FolderKinds, reporting_timezone: str, date_window: DateWindow | None,
                   batch_rows: int, count_keys_first: bool):
    @dlt.resource(name=kind.name)
    def load_kind() -> Iterator:
        # file -> [size, mtime_ns, rows rejected]; a file whose size and mtime are unchanged is not read again, and one
        # that could not be read at all is kept without them (None), so that the next sync tries it again
        state = dlt.current.resource_state().setdefault("files", {})
        files = {rel: path for rel, (path, name, _) in folder().items() if name == kind.name}
        reports = {rel for rel, (_, name, report) in folder().items() if name == kind.name and report}
        for gone in sorted(set(state) - set(files)):
            if state.pop(gone)[2]:
                yield _tombstone(gone)
        changed = {rel: path for rel, path in files.items()
                   if (state.get(rel) or [None, None])[:2] != fingerprint(path)}
        if not changed:
            return
        # The reader is closed once the files are read (its memory goes); the good rows of every file wait, so that
        # two files holding one version of a record with different values are found before any row is handed over.
        with _reader_connection(reporting_timezone) as con, ExitStack() as waiting:
            working_dir = dlt.current.pipeline().working_dir
            scratch = Path(waiting.enter_context(tempfile.TemporaryDirectory(prefix="utf8-", dir=working_dir)))
            plans = [plan_file(con, path, relative, kind, count_keys_first, date_window, scratch,
                               ad_report=relative in reports) for relative, path in changed.items()]
            if count_keys_first:
                add_disagreeing_versions(con, plans)
            deduplicated = len(plans) == 1 and plans[0].keys_unique
            into_empty_table = _destination_table_is_empty(kind.name)
            read = []
            for plan in plans:
                if (state.get(plan.relative) or [0, 0, 0])[2]:
                    yield _tombstone(plan.relative)  # the file changed: its old rejects go, its new ones (if any) come
                rejected = 0
                good_rows = waiting.enter_context(ParquetHandoff(working_dir, not_null=kind.primary_key))
                for rejects in read_file(con, plan, good_rows, batch_rows):
                    rejected += rejects.num_rows
                    yield _rejects(rejects)
                read.append((plan, good_rows, rejected))
            if not count_keys_first and versions_disagree(con, kind, [rows for _, rows, _ in read if rows.rows]):
                raise KeyRepeated(f"{kind.name}: two files hold one {'/'.join(kind.primary_key)} "
                                  f"{'with the same updated_at ' if kind.updated_at else ''}and different values")
            for plan, good_rows, rejected in read:
                if good_rows.rows:
                    yield good_rows.load_item(kind_hints(kind, deduplicated, into_empty_table, good_rows.columns()))
                state[plan.relative] = [*(fingerprint(changed[plan.relative]) if plan.readable else [None, None]),
                                        rejected]

    load_kind.__doc__ = kind.description
    # dlt starts a table variant from the resource's hints as they are when its first row comes: declared after a
    # file's rows had set the kind's hints (key not null, merge), the rejects of the next file took them too.
    load_kind.merge_hints(REJECT_HINTS, create_table_variant=True)
    return load_kind


@dlt.resource(name=REJECTS_TABLE)
def _unrecognized_files(folder: FolderKinds) -> Iterator:
    """Rows and files that broke the export contract, with file, line and reason. The other resources add
    their rejected rows; this one reports the files that are of no export kind, by name or by content."""
    state = dlt.current.resource_state().setdefault("files", [])
    current = sorted(rel for rel, (_, name, _) in folder().items() if name is None)
    for relative in sorted(set(state) - set(current)):
        yield _tombstone(relative)
    expected = ", ".join(KINDS)
    for relative in sorted(set(current) - set(state)):
        reason = (f"unknown export file: the name must start with one of {expected}, or the file must be an ad "
                  f"platform report Payback understands: {UNDERSTOOD}"
                  if kind_of(relative) is None else
                  f"unsupported file type: use one of {', '.join(SUPPORTED_SUFFIXES)}")
        yield _rejects(pa.Table.from_pylist(
            [{"file": relative, "line": None, "kind": None, "reason": reason, "raw_row": None}], schema=REJECT_SCHEMA))
    state[:] = current


@dlt.source(name="exports", max_table_nesting=0)
def exports_source(exports_dir: Path, reporting_timezone: str = "UTC", date_window: DateWindow | None = None,
                   batch_rows: int = BATCH_ROWS, count_keys_first: bool = False):
    """All export kinds, plus the report of unrecognized files. A date outside `date_window` (default: from 1990
    to ten years from today) is rejected. Without `count_keys_first` each file's keys are assumed unique and
    checked as it is read (`KeyRepeated` when they are not)."""
    folder = _folder_kinds(Path(exports_dir))
    resources = [_kind_resource(kind, folder, reporting_timezone, date_window, batch_rows, count_keys_first)
                 for kind in KINDS.values()]
    return [*resources, _unrecognized_files(folder)]


Result = TypeVar("Result")


def sync_exports(run: Callable[[dlt.sources.DltSource], Result], say: Callable[[str], None],
                 exports_dir: Path, reporting_timezone: str = "UTC", date_window: DateWindow | None = None) -> Result:
    """Run the export source with `run` (a dlt pipeline's run, or Dagster's). First on the assumption that no key
    repeats in a file, which spares a pass over every file; when one does, dlt throws the extraction away (nothing
    is loaded, the sync state is left as it was) and the sync runs again with every file's keys counted first."""
    try:
        return run(exports_source(exports_dir, reporting_timezone, date_window))
    except PipelineStepFailed as failed:
        repeated = wrapped_error(failed, KeyRepeated)
        if repeated is None:
            raise
        say(f"{repeated}; reading the changed files again, their keys counted first")
    return run(exports_source(exports_dir, reporting_timezone, date_window, count_keys_first=True))

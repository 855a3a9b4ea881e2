"""Read one export file with DuckDB, type it by the contract, write its good rows to a parquet handoff and stream its
rejects as arrow tables.

DuckDB does the parsing and validation in SQL; Python only splits each arrow batch in two. Line numbers come
from the batch offsets, which works because DuckDB keeps insertion order for a plain scan.
"""

from __future__ import annotations

import json
import math
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.exports import encoding
from pipelines.exports.ad_reports import AdReportError, ReportQuery, report_query
from pipelines.exports.contract import CURRENCY, DATE, NUMBER, TIMESTAMP, DateWindow, ExportKind
from pipelines.exports.handoff import ParquetHandoff
from pipelines.exports.iso4217 import CODES as CURRENCY_CODES

BATCH_ROWS = 500_000
KEY_CHECK_ROWS = 5_000_000  # key hashes sorted at once: 40 MB
# A line DuckDB can read at all: far past any real row, so that a runaway value (a quote left open) is one rejected row,
# not a failed file. It costs nothing until a line is that long.
MAX_LINE_BYTES = 32 * 1024 * 1024
MAX_VALUE_BYTES = 1_000_000  # a longer value is no export field: its row is rejected
RAW_ROW_CHARS = 10_000  # a rejected row's raw row is cut past this many characters
SQL_TYPES = {NUMBER: "DOUBLE", TIMESTAMP: "TIMESTAMP", DATE: "DATE"}
ISO_4217 = f"ENUM({', '.join(repr(code) for code in CURRENCY_CODES)})"
REJECT_SCHEMA = pa.schema([pa.field("file", pa.string(), nullable=False), ("line", pa.int64()),
                           ("kind", pa.string()), ("reason", pa.string()), ("raw_row", pa.string())])


class FileContractError(ValueError):
    """The whole file breaks the contract (e.g. a required column is missing); no row of it can load."""


class FileBroken(Exception):
    """DuckDB gave up on the file past the sample it planned from (a line not in UTF-8, a line too long)."""


class KeyRepeated(Exception):
    """A file read on the assumption that each key appears once had a key twice (or two files had one version of a
    record with different values). Its rejects were already sent to dlt, and its good rows were about to be
    (appended, or merged without deduplication), so the extraction must be thrown away and the file read again with
    its keys counted first (`sync_exports` does both)."""


def normalize_name(name: str) -> str:
    """`Deal ID`, `deal-id` and `DEAL_ID` all name `deal_id`."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class _Source:
    relation: str  # FROM clause
    columns: dict[str, tuple[str, str]]  # normalized name -> (SQL expression on `src`, DuckDB type)
    malformed: str  # SQL giving the reason a row cannot be read at all (too many values, invalid JSON), else NULL
    first_line: int  # line number of the first data row
    raw_row: str = "to_json(_src)"  # SQL giving a rejected row as read, as JSON, from `_src` (the row as a struct)
    decimal_comma: bool = False  # a `;`-separated file, as Excel writes one where the comma is the decimal mark


def _csv_source(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """Sniff the dialect once, then read with it fixed (no re-sniffing on each pass over the file).

    The sniffer sees a sample (20,480 rows), and a fixed dialect is strict about what it did not see, which failed
    the whole file at the first such row. So a file whose sample has no quoted value is still read with the
    standard quote (`"`, doubled to escape), which leaves unquoted values as they are; and one spare column takes
    the values a row has beyond the columns seen, whatever its line, so that the row is rejected for it (more
    values than that are dropped from its raw row, not strictly refused)."""
    delimiter, quote_char, escape, new_line, comment, skip, header, columns = con.execute(
        "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns "
        f"FROM sniff_csv({literal(str(path))}, all_varchar=true, null_padding=true, max_line_size={MAX_LINE_BYTES})"
    ).fetchall()[0]
    unset = "(empty)"  # how the sniffer names an empty setting
    if quote_char == unset:
        quote_char, escape = '"', '"'
    names = [column["name"] for column in columns]
    spare = f"column{len(names)}"  # DuckDB's own name for a value past the columns
    while spare in names:
        spare = f"_{spare}"

    def relation(with_header: bool) -> str:
        settings = {"delim": delimiter, "quote": quote_char, "escape": escape, "new_line": new_line,
                    "comment": comment}
        dialect = ", ".join(f"{key}={literal('' if value == unset else value)}" for key, value in settings.items())
        types = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in [*names, spare])
        return (f"read_csv({literal(str(path))}, auto_detect=false, {dialect}, skip={int(skip)}, "
                f"header={str(with_header).lower()}, columns={{{types}}}, all_varchar=true, null_padding=true, "
                f"strict_mode=false, max_line_size={MAX_LINE_BYTES})")

    # With null_padding DuckDB names values past the header column7, column8…: the header row itself, read as
    # data with the same dialect, says how many columns were declared.
    first = con.execute(f"SELECT * FROM {relation(with_header=False)} LIMIT 1").fetchall()
    declared = max((i + 1 for i, value in enumerate(first[0] if first else ()) if value is not None), default=0)
    extras = [*names[declared:], spare]
    # A rejected row's raw row names the columns beyond the header only when it has values there.
    header_only = ", ".join(f"{quote(n)} := _src.{quote(n)}" for n in names[:declared])
    raw_row = (f"CASE WHEN {' AND '.join(f'_src.{quote(n)} IS NULL' for n in extras)} "
               f"THEN to_json(struct_pack({header_only})) ELSE to_json(_src) END")
    return _Source(relation(with_header=bool(header)),
                   {normalize_name(n): (f"src.{quote(n)}", "VARCHAR") for n in names[:declared]},
                   _first_reason([f"CASE WHEN src.{quote(n)} IS NOT NULL THEN 'more values than header columns' END"
                                  for n in extras]), first_line=2, raw_row=raw_row, decimal_comma=delimiter == ";")


def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    relation = f"read_parquet({literal(str(path))})"
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return _Source(relation, {normalize_name(n): (f"src.{quote(n)}", t) for n, t, *_ in described}, "NULL", 1)


def _jsonl_source(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """JSON lines are read as text lines so that one malformed line becomes a reject, not a failed file."""
    relation = (f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, delim='\x1f', "
                f"quote='', escape='', auto_detect=false, max_line_size={MAX_LINE_BYTES})")
    keys = con.execute(
        f"SELECT DISTINCT unnest(json_keys(line::JSON)) FROM (SELECT line FROM {relation} "
        "WHERE json_valid(line) LIMIT 100000)").fetchall()
    columns = {normalize_name(k): (f"CASE WHEN json_valid(src.line) THEN src.line ->> {literal(k)} END", "VARCHAR")
               for (k,) in keys}
    return _Source(relation, columns, "CASE WHEN NOT json_valid(src.line) THEN 'malformed JSON line' END", 1)


def _first_reason(reasons: list[str]) -> str:
    return f"coalesce({', '.join(reasons)})" if reasons else "NULL"


def _open_source(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path) -> _Source:
    """The file's source; a text file not in UTF-8 is read from a UTF-8 copy in `scratch`."""
    if path.stat().st_size == 0:
        raise FileContractError("empty file: not even a header row")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_source(con, path)
    try:
        text = encoding.utf8_path(path, scratch)
    except encoding.EncodingError as error:
        raise FileContractError(str(error)) from None
    return _csv_source(con, text) if suffix == ".csv" else _jsonl_source(con, text)


def file_error(error: Exception) -> str:
    """What a file-level failure says to the user: DuckDB's message cut to the line it names and the cause (it goes
    on with the dialect it tried and generic advice), in the terms of the export contract."""
    lines = [line.strip() for line in str(error).splitlines()]
    first = re.sub(r"^[A-Za-z ]*Error: ", "", lines[0]) if lines else str(error)
    if "Maximum line size" in str(error):  # DuckDB names no reliable line for it
        return (f"a line longer than {MAX_LINE_BYTES:,} bytes: a quote left open? Nothing of the file can be read "
                "past it")
    located = re.match(r"CSV Error on Line: (\d+)", first)
    if located:
        cause = next((line for line in lines[1:] if line and not line.startswith(("Original Line", "Possible"))), "")
        if cause.startswith("Invalid unicode"):
            cause = "not UTF-8, though the start of the file is: save the file as UTF-8"
        return f"line {int(located.group(1)):,}: {cause}"
    if first.startswith("Error when sniffing file"):
        return ("no CSV dialect found (delimiter, quote, columns): save the file as CSV with a header row, in UTF-8 "
                "or UTF-16")
    return first


def _as_text(expression: str, source_type: str) -> str:
    """A value as trimmed text, NULL when blank: what a message quotes and what a text column stores. Only a value
    that starts or ends with a space is trimmed: `trim` copies every value it is given, which cost a quarter of
    reading a file of short texts. A value padded only with other Unicode spaces (no-break…) stays as it is: also
    testing for those cost as much as the trim."""
    text = expression if source_type == "VARCHAR" else f"CAST({expression} AS VARCHAR)"
    padded = f"prefix({text}, ' ') OR suffix({text}, ' ')"
    return f"CASE WHEN {padded} THEN nullif(trim({text}), '') ELSE nullif({text}, '') END"


SPACES = " \u00a0\u202f"  # a space, a no-break space, a narrow no-break space: thousands separators only
ONE_GROUP = r"[+-]?\d{1,3}[.,]\d{3}"  # 1,234 or 1.234: a thousands separator, or a decimal mark?
COMMA_DECIMAL = rf"[+-]?\d{{1,3}}(([.]\d{{3}})+|([{SPACES}]\d{{3}})+)(,\d+)?"  # 1.234.567,8  1 234,5  1 234
POINT_DECIMAL = rf"[+-]?\d{{1,3}}(([,]\d{{3}})+|([{SPACES}]\d{{3}})+)([.]\d+)?"  # 1,234,567.8  1 234.5
ONE_MARK = r"[+-]?\d*[.,]\d+"  # 20478,48  .5: one mark, which cannot be a thousands separator


def _number(expression: str, text: str, decimal_comma: bool) -> str:
    """A number as a DOUBLE, NULL when it is none. DuckDB's cast reads 1234.5 (the fast path); what it cannot read
    is read by its form, in this order. A single group of three digits after one mark (1,234) is ambiguous: the
    file decides, a `;`-separated file reading it with a decimal comma, any other with a decimal point; the other
    mark there stays NULL (rejected, not guessed). Then thousands separators with a decimal comma or point, then one
    mark alone, which is the decimal mark."""
    digits = f"regexp_replace({text}, '[{SPACES}]', '', 'g')"
    one_group = f"CASE WHEN {'' if decimal_comma else 'NOT '}contains({text}, ',') THEN replace({text}, ',', '.') END"
    by_form = (f"try_cast(CASE WHEN regexp_full_match({text}, '{ONE_GROUP}') THEN {one_group} "
               f"WHEN regexp_full_match({text}, '{COMMA_DECIMAL}') THEN replace(replace({digits}, '.', ''), ',', '.') "
               f"WHEN regexp_full_match({text}, '{POINT_DECIMAL}') THEN replace({digits}, ',', '') "
               f"WHEN regexp_full_match({text}, '{ONE_MARK}') THEN replace({text}, ',', '.') END AS DOUBLE)")
    if decimal_comma:  # there a point is read by its form only: DuckDB would take 1.234 for one point two three four
        return (f"CASE WHEN contains({expression}, '.') THEN {by_form} "
                f"ELSE coalesce(try_cast(replace({expression}, ',', '.') AS DOUBLE), {by_form}) END")
    return f"coalesce(try_cast({expression} AS DOUBLE), {by_form})"


def _ambiguity(text: str, decimal_comma: bool) -> str:
    """SQL: what the reason adds for a number left ambiguous (1.234 in a `;`-separated file, 1,234 in another)."""
    mark, other = (".", ",") if decimal_comma else (",", ".")
    advice = (f" (a thousands separator, or a decimal mark? in a {';' if decimal_comma else ','}-separated file write "
              f"1234 or 1{other}234)")
    ambiguous = f"regexp_full_match({text}, '{ONE_GROUP}') AND contains({text}, '{mark}')"
    return f"CASE WHEN {ambiguous} THEN {literal(advice)} ELSE '' END"


def _typed(expression: str, source_type: str, column_type: str, decimal_comma: bool = False) -> str:
    """The typed value of one contract column. Casts read the value as it is: they ignore surrounding spaces
    themselves, and trimming copies every value."""
    text = _as_text(expression, source_type)
    if column_type == NUMBER:
        return _number(expression, text, decimal_comma) if source_type == "VARCHAR" else (
            f"try_cast({expression} AS DOUBLE)")
    if column_type == TIMESTAMP:  # but a date alone followed by a space is no timestamp: trimmed, second try
        instant = (f"coalesce(try_cast({expression} AS TIMESTAMPTZ), try_cast({text} AS TIMESTAMPTZ))"
                   if source_type == "VARCHAR" else f"try_cast({expression} AS TIMESTAMPTZ)")
        # The instant as UTC time of day: what timezone('UTC', …) gives, without a calendar lookup per value (a
        # fifth of reading a contacts file). An infinite timestamp has no UTC time, and is rejected.
        return f"make_timestamp(epoch_us({instant}))"
    if column_type == DATE:
        return (f"coalesce(try_cast({expression} AS DATE), CAST(try_cast({text} AS TIMESTAMP) AS DATE))"
                if source_type == "VARCHAR" else f"try_cast({expression} AS DATE)")
    if column_type == CURRENCY:
        return f"upper({text})"
    return text


def _outside_window(name: str, label: str, text: str, column_type: str, window: DateWindow) -> tuple[str, str]:
    """The suspect test and the reason of a date or timestamp outside `window`, or one DuckDB read from a word:
    `epoch` (1970-01-01, which is suspect whatever the window), `infinity`, `-infinity`."""
    sql_type = SQL_TYPES[column_type]
    first, after = f"{sql_type} '{window.first}'", f"{sql_type} '{window.last + timedelta(days=1)}'"
    suspect = f"{name} < {first} OR {name} >= {after} OR {name} = {sql_type} '1970-01-01'"
    word = f"{name} IS NOT NULL AND (NOT isfinite({name}) OR NOT regexp_matches({text}, '^[-+]?[0-9]'))"
    expected = literal(f" (expected {window.first} to {window.last}: PAYBACK_MIN_DATE, PAYBACK_MAX_FUTURE_YEARS)")
    return suspect, (f"CASE WHEN {word} THEN 'unparseable {column_type} in ' || {label} || ': ' || {text} "
                     f"WHEN {name} < {first} OR {name} >= {after} "
                     f"THEN '{column_type} out of range in ' || {label} || ': ' || {text} || {expected} END")


def build_query(con: duckdb.DuckDBPyConnection, path: Path, kind: ExportKind, date_window: DateWindow | None = None,
                scratch: Path | None = None) -> tuple[str, int]:
    """The SELECT that types a file and gives each row a `_reject_reason` (NULL when the row is good) and, for
    rejected rows only, the raw row as JSON; and the line number of its first row. A text file not in UTF-8 is read
    from a UTF-8 copy written to `scratch` (default: the system's temporary folder), which the caller removes.

    Three layers, so that each value is computed once: the file's values (`_in<i>`, the raw row as a struct);
    the typed contract columns; then the reasons, read off the typed columns. A reason is spelled out only for
    a suspect row (one cheap test per check), so that no row pays for a reason it does not have.
    Normalized names never start with `_`, so the helper columns cannot clash with a file's own."""
    date_window = date_window or DateWindow.around(date.today())
    source = _open_source(con, path, scratch or Path(tempfile.gettempdir()))
    missing = [c.name for c in kind.columns if c.required and c.name not in source.columns]
    if kind.one_of and not any(name in source.columns for name in kind.one_of):
        missing.append(" or ".join(kind.one_of))
    if missing:
        raise FileContractError(f"missing required column(s): {', '.join(missing)}")

    inputs = {name: (f"_in{i}", source_type) for i, (name, (_, source_type)) in enumerate(source.columns.items())}
    values = [f"{expression} AS {inputs[name][0]}" for name, (expression, _) in source.columns.items()]
    values += [f"{source.malformed} AS _malformed", "src AS _src"]

    typed_columns, suspects, reasons = [], ["_malformed IS NOT NULL", "_too_long IS NOT NULL"], []
    too_long = [f"CASE WHEN strlen({value}) > {MAX_VALUE_BYTES} THEN 'value of ' || strlen({value}) || ' bytes in ' || "
                f"{literal(name)} || ' (at most {MAX_VALUE_BYTES:,}): a quote left open, or no export field' END"
                for name, (value, source_type) in inputs.items() if source_type == "VARCHAR"]
    for column in kind.columns:
        name, label = quote(column.name), literal(column.name)
        if column.name not in source.columns:
            typed_columns.append(f"CAST(NULL AS {SQL_TYPES.get(column.type, 'VARCHAR')}) AS {name}")
            continue
        value, source_type = inputs[column.name]
        typed = _typed(value, source_type, column.type, source.decimal_comma)
        typed_columns.append(f"{f'lower({typed})' if column.allowed else typed} AS {name}")
        text = _as_text(value, source_type)
        if column.required:
            suspects.append(f"{name} IS NULL")
            reasons.append(f"CASE WHEN {name} IS NULL AND {text} IS NULL THEN 'missing required field ' || {label} END")
        if column.type in (NUMBER, TIMESTAMP, DATE):
            hint = _ambiguity(text, source.decimal_comma) if column.type == NUMBER else "''"
            suspects.append(f"{name} IS NULL AND {value} IS NOT NULL")
            reasons.append(f"CASE WHEN {name} IS NULL AND {text} IS NOT NULL "
                           f"THEN 'unparseable {column.type} in ' || {label} || ': ' || {text} || {hint} END")
        if column.type == NUMBER:  # NaN, inf and 1e309 (infinite as a DOUBLE) cast, and are no amount
            suspects.append(f"NOT isfinite({name})")
            reasons.append(f"CASE WHEN NOT isfinite({name}) "
                           f"THEN 'not a finite number in ' || {label} || ': ' || {text} END")
        if column.type in (TIMESTAMP, DATE):
            suspect, reason = _outside_window(name, label, text, column.type, date_window)
            suspects.append(suspect)
            reasons.append(reason)
        if column.type == CURRENCY:
            # A cast to an ENUM is a hash lookup, as cheap as the GLOB of three capitals it replaces
            unknown = f"{name} IS NOT NULL AND try_cast({name} AS {ISO_4217}) IS NULL"
            suspects.append(unknown)
            reasons.append(f"CASE WHEN {unknown} "
                           f"THEN 'unknown currency in ' || {label} || ': ' || {text} || ' (not an ISO 4217 code)' END")
        if column.allowed:
            allowed = ", ".join(literal(a) for a in column.allowed)
            expected = literal(f" (expected {' | '.join(column.allowed)})")
            suspects.append(f"{name} NOT IN ({allowed})")
            reasons.append(f"CASE WHEN {name} NOT IN ({allowed}) "
                           f"THEN 'unknown ' || {label} || ': ' || {text} || {expected} END")
    if kind.one_of:
        absent = " AND ".join(f"{quote(n)} IS NULL" for n in kind.one_of)
        suspects.append(absent)
        reasons.append(f"CASE WHEN {absent} THEN 'missing required field {' or '.join(kind.one_of)}' END")
    suspects += [condition for condition, _ in kind.rules]
    reasons += [f"CASE WHEN {condition} THEN {literal(reason)} END" for condition, reason in kind.rules]
    extras = [name for name in source.columns if name not in kind.column_names]
    typed_columns += [f"{inputs[name][0]} AS {quote(name)}" for name in extras]

    outputs = [quote(c) for c in kind.column_names]
    if kind.name == "touchpoints":  # touchpoint_id is optional: derive a stable one from the touch itself
        parts = ", ".join(f"CAST({quote(c)} AS VARCHAR)"
                          for c in ("contact_id", "touched_at", "channel", "campaign_id", "touch_type"))
        outputs[kind.column_names.index("touchpoint_id")] = (
            f"coalesce(touchpoint_id, md5(concat_ws('|', {parts}))) AS touchpoint_id")
    reason = (f"CASE WHEN {' OR '.join(f'({s})' for s in suspects)} THEN "
              f"coalesce(_malformed, _too_long, nullif(concat_ws('; ', {', '.join(reasons) or 'NULL'}), '')) END")
    query = (f"SELECT * EXCLUDE (_src), CASE WHEN _reject_reason IS NOT NULL THEN {source.raw_row} END AS _raw_row "
             "FROM ("
             f"SELECT {', '.join(outputs + [quote(name) for name in extras])}, {reason} AS _reject_reason, _src FROM ("
             f"SELECT {', '.join(typed_columns)}, {', '.join(v for v, _ in inputs.values())}, _malformed, "
             f"{_first_reason(too_long)} AS _too_long, _src FROM ("
             f"SELECT {', '.join(values)} FROM {source.relation} AS src)))")
    return query, source.first_line


def _hash_sql(columns: list[str] | tuple[str, ...]) -> str:
    return "hash(" + ", ".join(quote(c) for c in columns) + ")"


def _key_hash_sql(kind: ExportKind) -> str:
    """The key's hash, NULL when part of the key is missing (such a row is rejected for it anyway)."""
    present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in kind.primary_key)
    return f"CASE WHEN {present} THEN {_hash_sql(kind.primary_key)} END"


def _keys_repeat_sql(key_hashes: str) -> str:
    """Whether a key hash repeats among the rows of `key_hashes` (a query with a column `key_hash`, NULL for a
    row without its whole key); grouping finds it faster than comparing count(DISTINCT …) with count(…)."""
    return (f"SELECT count(*) > 0 FROM (SELECT key_hash FROM ({key_hashes}) WHERE key_hash IS NOT NULL "
            "GROUP BY key_hash HAVING count(*) > 1)")


def _version_hash_sql(kind: ExportKind) -> str:
    """One number per (key, updated_at): two rows with the same one leave no way to tell which is current."""
    return _hash_sql([*kind.primary_key, *([kind.updated_at] if kind.updated_at else [])])


@dataclass
class FilePlan:
    """What reading one file takes, worked out before any row is sent to dlt."""
    relative: str
    kind: ExportKind
    query: str | None = None
    first_line: int = 1
    # (key, updated_at) hash -> what repeats it: "2 rows" in this file, or "different values in a.csv and b.csv"
    duplicates: dict[int, str] = field(default_factory=dict)
    keys_unique: bool = False  # no key repeats in the file, so dlt need not deduplicate it
    keys_counted: bool = True  # False: keys_unique is assumed, and read_file checks it once the file is read
    error: str | None = None  # the whole file breaks the contract
    readable: bool = True  # False: the file could not be opened (not recorded as read: the next sync tries again)
    report: ReportQuery | None = None  # an ad report's queries: its rows are read by their fast one first

    @property
    def skips_rows(self) -> bool:
        """The query marks rows that are no data (`_skip`: an ad report's totals)."""
        return self.report is not None

    @property
    def data_query(self) -> str | None:
        """The query without the rows that are no data: what the keys are counted on."""
        return f"SELECT * FROM ({self.query}) WHERE NOT _skip" if self.skips_rows and self.query else self.query


def _unreadable(path: Path) -> str | None:
    """Why the file cannot be read at all (a permission, a broken link, a pipe), or None. A pipe is never opened:
    reading one waits for a writer."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return "not a regular file (a pipe, a socket or a device): copy the export in as a file"
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        return f"cannot read the file: {error.strerror}"
    return None


def plan_file(con: duckdb.DuckDBPyConnection, path: Path, relative: str, kind: ExportKind,
              count_keys: bool = True, date_window: DateWindow | None = None, scratch: Path | None = None,
              ad_report: bool = False) -> FilePlan:
    """Type the file (an ad platform's UI report, with `ad_report`, read by `ad_reports.report_query` into the
    ad_spend columns) and, with `count_keys`, count its keys. Only the key columns are read for the count (DuckDB
    prunes the rest of the query), but it is still a pass over the file. Only when
    a key repeats are the repeated versions listed, in a second pass: keys that repeat with different
    `updated_at` are fine (the latest wins on load), a repeated (key, `updated_at`) is not.
    Without `count_keys` the keys are assumed unique, and `read_file` checks it once the file is read."""
    unreadable = _unreadable(path)
    if unreadable:
        return FilePlan(relative, kind, error=unreadable, readable=False)
    scratch = scratch or Path(tempfile.gettempdir())
    try:
        report = report_query(con, path, scratch, date_window) if ad_report else None
        query, first_line = ((report.exact, report.first_line) if report else
                             build_query(con, path, kind, date_window, scratch))
        plan = FilePlan(relative, kind, query, first_line, report=report)
        if not count_keys:
            plan.keys_unique, plan.keys_counted = True, False
            return plan
        [(keys_repeat,)] = con.execute(
            _keys_repeat_sql(f"SELECT {_key_hash_sql(kind)} AS key_hash FROM ({plan.data_query})")).fetchall()
        plan.duplicates = {version: f"{rows} rows" for version, rows in con.execute(
            f"SELECT {_version_hash_sql(kind)} AS version, count(*) FROM ({plan.data_query}) GROUP BY version "
            "HAVING count(*) > 1").fetchall()} if keys_repeat else {}
    except (FileContractError, AdReportError, encoding.EncodingError, duckdb.Error) as error:
        return FilePlan(relative, kind, error=file_error(error))
    plan.keys_unique = not keys_repeat
    return plan


def _content_hash_sql(kind: ExportKind) -> str:
    """One number per row's values in the contract's columns: two files that hold the same version of a record
    with the same values hold it twice, not in two versions."""
    return _hash_sql(kind.column_names)


def versions_disagree(con: duckdb.DuckDBPyConnection, kind: ExportKind, good_rows: list[ParquetHandoff]) -> bool:
    """Whether two files' good rows hold one (key, updated_at) with different values: no way to tell which is
    current. (Inside a file a repeated version is found as it is read.) Only the finished parquet files are read."""
    if len(good_rows) < 2:
        return False
    files = ", ".join(literal(str(handoff.path)) for handoff in good_rows)
    [(disagree,)] = con.execute(
        f"SELECT count(*) > 0 FROM (SELECT {_version_hash_sql(kind)} AS version FROM read_parquet([{files}], "
        f"union_by_name=true) GROUP BY version HAVING count(DISTINCT {_content_hash_sql(kind)}) > 1)").fetchall()
    return disagree


def add_disagreeing_versions(con: duckdb.DuckDBPyConnection, plans: list[FilePlan]) -> None:
    """Add to each plan's duplicates the versions its good rows share with another plan's, with different values:
    all of them are rejected. A pass over each file, taken only once `versions_disagree` found such a version."""
    readable = [plan for plan in plans if plan.query]
    if len(readable) < 2:
        return
    kind = readable[0].kind
    rows = " UNION ALL ".join(
        f"SELECT {literal(plan.relative)} AS file, {_version_hash_sql(kind)} AS version, "
        f"{_content_hash_sql(kind)} AS content FROM ({plan.data_query}) WHERE _reject_reason IS NULL"
        for plan in readable)
    disagreeing = con.execute(
        f"SELECT version, list(DISTINCT file ORDER BY file) FROM ({rows}) GROUP BY version "
        "HAVING count(DISTINCT content) > 1 AND count(DISTINCT file) > 1").fetchall()
    for version, files in disagreeing:
        for plan in readable:
            if plan.relative in files:
                plan.duplicates.setdefault(version, f"different values in {' and '.join(files)}")


def _duplicate_reasons(table: pa.Table, kind: ExportKind, duplicates: dict[int, str]) -> pa.Array | None:
    """The reject reason of each row whose (key, updated_at) repeats in the file or disagrees with another file;
    None when no row does."""
    hashes = table["_version_hash"]
    repeated = pc.is_in(hashes, value_set=pa.array(list(duplicates), pa.uint64()))
    if not pc.any(repeated).as_py():
        return None
    names = "/".join(kind.primary_key)
    undecided = " and no later updated_at to tell which is current" if kind.updated_at else ""
    keys = zip(*(table[k].to_pylist() for k in kind.primary_key), strict=True)
    return pa.array([f"duplicate {names} {'/'.join(map(str, key))}: {duplicates[h]}{undecided}" if flag else None
                     for key, h, flag in zip(keys, hashes.to_pylist(), repeated.to_pylist(), strict=True)],
                    pa.string())


def _tables_of(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """DuckDB hands out batches of about 100k rows whatever size is asked; gathered (without copying) into tables
    of `rows`, the per-table costs downstream (splitting off the rejects, a parquet row group) are paid per `rows`."""
    pending: list[pa.RecordBatch] = []
    try:
        for batch in batches:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= rows:
                yield pa.Table.from_batches(pending)
                pending = []
    except (duckdb.Error, OSError) as error:  # DuckDB's error, as the arrow reader hands it on
        raise FileBroken(file_error(error)) from error
    if pending:
        yield pa.Table.from_batches(pending)


def read_file(con: duckdb.DuckDBPyConnection, plan: FilePlan, good_rows: ParquetHandoff,
              batch_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Write the file's good rows to `good_rows` and yield its rejects, a table per batch that has any. A
    whole-file contract break yields one reject with no line. A file DuckDB gives up on halfway loads no row: its
    rejects so far stay, and one with no line says why. Keys assumed unique (`plan.keys_counted` False) are checked
    once the last good row is written: `KeyRepeated`."""
    if plan.error:
        yield _file_reject(plan, plan.error)
        return
    rejected_keys = None if plan.keys_counted else []
    try:
        yield from _read_batches(con, plan, batch_rows, good_rows, rejected_keys)
    except FileBroken as broken:
        good_rows.discard()
        yield _file_reject(plan, f"{broken}; no row of the file was loaded")
        return
    good_rows.finish()
    if rejected_keys is not None and _keys_repeat(con, plan.kind, good_rows, rejected_keys):
        raise KeyRepeated(f"{plan.relative}: a {'/'.join(plan.kind.primary_key)} appears more than once")


def _file_reject(plan: FilePlan, reason: str) -> pa.Table:
    return pa.Table.from_pylist([{"file": plan.relative, "line": None, "kind": plan.kind.name, "reason": reason,
                                  "raw_row": None}], schema=REJECT_SCHEMA)


def _cut(raw_rows: pa.Array) -> pa.Array:
    """Each raw row cut past RAW_ROW_CHARS characters (and marked with an ellipsis): a runaway value stays readable."""
    long = pc.greater(pc.utf8_length(raw_rows), RAW_ROW_CHARS)
    if not pc.any(long).as_py():
        return raw_rows
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(raw_rows, 0, RAW_ROW_CHARS), "…", "")
    return pc.if_else(long, cut, raw_rows)


def _keys_repeat(con: duckdb.DuckDBPyConnection, kind: ExportKind, good_rows: ParquetHandoff,
                 rejected_keys: list[pa.Array]) -> bool:
    """Whether a key appears twice in the file, among its good rows (read back from their parquet file: only the
    key columns, a tenth of the read) and its rejected ones (their key hashes, kept as they went by). The hashes
    are sorted and each compared with the next: about a sixth of the CPU of DuckDB grouping them. A file of more
    than KEY_CHECK_ROWS rows is checked a slice of the hashes at a time, so that memory stays flat in file size."""
    rejected = pa.chunked_array(rejected_keys, pa.uint64()).drop_null().to_numpy()
    slices = max(1, math.ceil((good_rows.rows + len(rejected)) / KEY_CHECK_ROWS))
    good = f"SELECT {_hash_sql(kind.primary_key)} AS key_hash FROM read_parquet({literal(str(good_rows.path))})"
    for number in range(slices):
        hashes = [rejected[rejected % slices == number]]
        if good_rows.rows:
            sliced = f"SELECT key_hash FROM ({good}) WHERE key_hash % {slices} = {number}"
            hashes.append(con.sql(sliced).fetchnumpy()["key_hash"])
        if _repeats(np.concatenate(hashes)):
            return True
    return False


def _repeats(hashes: np.ndarray) -> bool:
    """Whether a value repeats (sorts `hashes` in place)."""
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


def _read_batches(con: duckdb.DuckDBPyConnection, plan: FilePlan, batch_rows: int, good_rows: ParquetHandoff,
                  rejected_keys: list[pa.Array] | None) -> Iterator[pa.Table]:
    """The file's good rows written to `good_rows`, its rejects yielded, per table; with `rejected_keys`, the key
    hashes of the rejected rows are added to it (computed for those rows only)."""
    relative, kind, query, first_line, duplicates = (plan.relative, plan.kind, plan.query, plan.first_line,
                                                     plan.duplicates)

    def wrap(query: str) -> str:
        if duplicates:
            query = f"SELECT *, {_version_hash_sql(kind)} AS _version_hash FROM ({query})"
        if rejected_keys is not None:
            query = (f"SELECT *, CASE WHEN _reject_reason IS NOT NULL THEN {_key_hash_sql(kind)} END AS _key_hash "
                     f"FROM ({query})")
        return query

    batches = (plan.report.batches(con, batch_rows, wrap) if plan.report else
               con.sql(wrap(query)).to_arrow_reader(batch_rows))
    offset = 0
    for table in _tables_of(batches, batch_rows):
        skipped = None
        if plan.skips_rows:  # a row that is no data is neither loaded nor rejected; it keeps its line
            skipped = table["_skip"] if pc.any(table["_skip"]).as_py() else None
            table = table.drop_columns(["_skip"])
        if rejected_keys is not None:
            key_hashes = table["_key_hash"]
            table = table.drop_columns(["_key_hash"])
        reasons = table["_reject_reason"]
        if duplicates:
            duplicate_reasons = _duplicate_reasons(table, kind, duplicates)
            if duplicate_reasons is not None:
                reasons = pc.coalesce(reasons, duplicate_reasons)
            table = table.drop_columns(["_version_hash"])
        bad = pc.is_valid(reasons)
        rejected = len(reasons) - reasons.null_count
        loaded = pc.invert(bad) if skipped is None else pc.invert(pc.or_(bad, skipped))
        good = (table.filter(loaded) if rejected or skipped is not None else table).drop_columns(
            ["_reject_reason", "_raw_row"])
        if good.num_rows:
            good_rows.write(good)
        if rejected:
            if rejected_keys is not None:
                rejected_keys.extend(pc.filter(key_hashes, bad).chunks)
            lines = pc.add(pc.indices_nonzero(bad), offset + first_line)
            count = len(lines)
            # A duplicate is otherwise a good row: its raw row is the typed one.
            raw = pc.coalesce(pc.filter(table["_raw_row"], bad),
                              pa.array([json.dumps(r, default=str) for r in
                                        table.filter(bad).drop_columns(["_reject_reason", "_raw_row"]).to_pylist()])
                              if duplicates else pa.nulls(count, pa.string()))
            yield pa.table({"file": pa.array([relative] * count, pa.string()),
                            "line": pc.cast(lines, pa.int64()),
                            "kind": pa.array([kind.name] * count, pa.string()),
                            "reason": pc.filter(reasons, bad),
                            "raw_row": _cut(raw)}).cast(REJECT_SCHEMA)
        offset += table.num_rows

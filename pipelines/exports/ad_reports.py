"""Ad platforms' own report downloads, recognised by their content and turned into `ad_spend` rows.

Users who cannot grant API access download reports from the platforms' UIs. A file dropped in the exports folder
is recognised here by its header row (found among its first lines, after any preamble), whatever its name:

- Google Ads campaign report (the Campaigns view segmented by day, downloaded as CSV or "Excel CSV"): report
  name and date range lines before the header, `Day, Campaign, Campaign ID, Currency code, Cost, Impr., Clicks,
  Conversions`, thousands separators ("1,000"), `--` for an empty value, `Total: …` footer rows, and the Excel
  flavour in UTF-16 (little endian, with BOM) separated by tabs.
- Meta Ads Manager export (Export table data, broken down by day). UNCONFIRMED format, assumed: one header row,
  `Campaign name`, `Campaign ID` (optional), the day in `Day` or in `Reporting starts` (a row whose
  `Reporting ends` is another day covers several days and is rejected), `Amount spent (EUR)` (the currency in the
  column name; else a `Currency` column), `Impressions`, clicks in `Clicks (all)`, else `Clicks`, else `Link
  clicks`, `Results` (as conversions; what a result is depends on the campaign objective), `Leads` if present.
- LinkedIn Campaign Manager campaign performance export (daily). UNCONFIRMED format, assumed: optional preamble
  lines (an `Account ID: 123` line gives the account), then `Start Date (in UTC)` (a row whose `End Date (in
  UTC)` is another day is rejected), `Campaign Name`, `Campaign ID`, `Currency`, `Total Spent`, `Impressions`,
  `Clicks`, `Conversions`, `Leads`.

Column names match case-insensitively, ignoring surrounding spaces. Without a campaign id column a campaign is
identified by its name (such rows cannot meet the platform's API rows, which carry the id). Numbers: a report
writes them one way, which its first rows show: the decimal mark a point (`1,234.56`) or a comma (`1.234,56`), a
point where no number shows it (`1,000` is a thousand); the other mark separates thousands wherever it stands, as
DuckDB's CSV reader reads it (`1,2,3` is 123). A currency sign or spaces around a number are ignored; `--`, `-`,
`n/a` are empty. Dates: ISO (`2024-01-31`), `Jan 31, 2024`, `31 Jan 2024`, and slashed dates, read day first when
some day of the file is above 12 in the first place, else month first (`1/31/2024`); a time after the date is
ignored.

DuckDB reads the report (`report_query`), the preamble skipped, the header row found first, by two queries with
the columns of the `ad_spend` export kind (so that the export sync loads a report as it loads an `ad_spend` file),
`Total` rows marked `_skip`. The exact query reads every value as text and types it in SQL; a row that cannot be
read (no date, spend or currency, a number that is not one) gets a `_reject_reason` naming the report's column and
the fix, and its row as read; every other row loads. The fast query gives the same rows while they are good, with
DuckDB's CSV reader typing the numbers (as fast as reading a plain CSV), and fails at the first row it cannot vouch
for; `ReportQuery.batches` then reads on from that row by the exact query.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.exports import encoding
from pipelines.exports.contract import DateWindow
from pipelines.exports.iso4217 import CODES as CURRENCY_CODES

HEADER_SEARCH_ROWS = 30  # a report's header row is among its first rows
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", "\t", ";")
EMPTY = ("", "--", "-", "—", "n/a")  # in lower case
EMPTY_BYTES = max(len(e.encode()) for e in EMPTY)
PLACEHOLDERS = ("--", "-", "—", "n/a", "N/A")  # as written: empty values DuckDB's CSV reader can take for NULL
NUMBER_SAMPLE_ROWS = 1000  # the rows after the header whose numbers show the file's decimal mark
MAX_LINE_BYTES = 32 * 1024 * 1024  # as the export reader: a runaway value is one rejected row, not a failed file
REPORT_SUFFIXES = (".csv", ".tsv", ".txt")  # the files looked into for a report

NUMBER_FIELDS = ("impressions", "clicks", "leads", "conversions")
OUTPUT_COLUMNS = ("date", "platform", "campaign_id", "spend", "currency", "account_id", "campaign_name", "channel",
                  *NUMBER_FIELDS)


@dataclass(frozen=True)
class AdReportFormat:
    name: str
    title: str
    platform: str
    how: str  # where the report comes from and what it holds, for the message about unrecognised files
    # Field -> header names it may have (regular expressions on the name in lower case with single spaces), in
    # order of preference. `day` is a one-day column; `starts`/`ends` a row's reporting range, used when there is
    # no `day` (a range of more than one day is rejected). `spend` may capture the currency (`cur`) of its name.
    fields: dict[str, tuple[str, ...]]
    required: tuple[tuple[str, ...], ...] = (("day", "starts"), ("campaign_name",), ("spend",))


FORMATS = (
    AdReportFormat(
        "google_ads_campaign_report", "Google Ads campaign report", "google_ads",
        "Campaigns view segmented by Day, downloaded as CSV or Excel CSV: Day, Campaign, Campaign ID, Currency "
        "code, Cost, Impr., Clicks, Conversions",
        {"day": ("day", "date"), "campaign_name": ("campaign", "campaign name"), "campaign_id": ("campaign id",),
         "account_id": ("customer id", "account id"), "currency": ("currency code", "currency"),
         "spend": (r"cost(?: \((?P<cur>[a-z]{3})\))?",), "impressions": (r"impr\.?", "impressions"),
         "clicks": ("clicks",), "conversions": ("conversions",)}),
    AdReportFormat(
        "meta_ads_manager_export", "Meta Ads Manager export", "meta_ads",
        "Ads Manager, Campaigns, Breakdown by Day, Export table data (.csv): Day or Reporting starts, Campaign name, "
        "Campaign ID, Amount spent (EUR), Impressions, Link clicks, Results",
        {"day": ("day", "date"), "starts": ("reporting starts",), "ends": ("reporting ends",),
         "campaign_name": ("campaign name",), "campaign_id": ("campaign id",), "account_id": ("account id",),
         "currency": ("currency",), "spend": (r"amount spent(?: \((?P<cur>[a-z]{3})\))?",),
         "impressions": ("impressions",), "clicks": (r"clicks \(all\)", "clicks", "link clicks"),
         "leads": ("leads",), "conversions": ("results",)}),
    AdReportFormat(
        "linkedin_campaign_performance", "LinkedIn Campaign Manager campaign performance export", "linkedin_ads",
        "Campaign Manager, Analyze, Export, Campaign performance with a Daily time breakdown: Start Date (in UTC), "
        "Campaign Name, Campaign ID, Currency, Total Spent, Impressions, Clicks, Conversions",
        {"day": ("day", "date"), "starts": (r"start date(?: \(in utc\))?",),
         "ends": (r"end date(?: \(in utc\))?",),
         "campaign_name": ("campaign name", "campaign"), "campaign_id": ("campaign id",),
         "account_id": ("account id",), "currency": ("currency",),
         "spend": (r"total spent(?: \((?P<cur>[a-z]{3})\))?",), "impressions": ("impressions",),
         "clicks": ("clicks",), "leads": ("leads",), "conversions": ("conversions",)}),
)

UNDERSTOOD = "; ".join(f"{f.title} ({f.how})" for f in FORMATS)


class AdReportError(ValueError):
    """The file is not an ad platform report this module understands (or cannot be read as one)."""


def not_recognised(name: str) -> str:
    """The message for a file that matches no export kind and no ad platform report."""
    return f"{name}: not an ad platform report Payback understands. Understood reports: {UNDERSTOOD}"


@dataclass(frozen=True)
class _Layout:
    """Where a report's data is: its format, encoding, delimiter, header line and the column of each field."""
    format: AdReportFormat
    encoding: str
    delimiter: str
    header_line: int  # index (from 0) of the header among the file's lines
    header: tuple[str, ...]
    columns: dict[str, int]
    header_currency: str | None
    preamble_account: str | None
    slashed_dates: bool  # some date among the first rows is slashed (1/31/2024): which comes first must be found
    decimal_comma: bool  # the first rows' numbers write the decimal mark as a comma (1.234,56)


def normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().lower())


def _match(header: list[str], patterns: tuple[str, ...]) -> tuple[int, re.Match] | None:
    names = [normalize(cell) for cell in header]
    for pattern in patterns:
        for index, name in enumerate(names):
            found = re.fullmatch(pattern, name)
            if found:
                return index, found
    return None


def _layout_of(header: list[str], fmt: AdReportFormat) -> tuple[dict[str, int], str | None] | None:
    columns, currency = {}, None
    for field, patterns in fmt.fields.items():
        found = _match(header, patterns)
        if found:
            columns[field] = found[0]
            if field == "spend" and "cur" in found[1].groupdict() and found[1].group("cur"):
                currency = found[1].group("cur").upper()
    if not all(any(field in columns for field in alternatives) for alternatives in fmt.required):
        return None
    return columns, currency


def _decimal_comma(values: Iterable[str]) -> bool:
    """Whether the numbers write the decimal mark as a comma: more of them show a comma than a point. A number
    shows its decimal mark as its last mark when it has both (1,234.56), as the mark it does not repeat when it
    repeats one (1.234.567), as its mark when three digits do not follow it (12,5); `1,234` shows none."""
    shown = {",": 0, ".": 0}
    for value in values:
        number = re.sub(r"[^\d.,]", "", value)
        last = max(number.rfind(","), number.rfind("."))
        if "," in number and "." in number:
            shown[number[last]] += 1
        elif number.count(",") > 1 or number.count(".") > 1:
            shown["." if "," in number else ","] += 1
        elif last >= 0 and len(number) - last - 1 != 3:
            shown[number[last]] += 1
    return shown[","] > shown["."]


SLASHED = r"(\d{1,2})/(\d{1,2})/(\d{4})"
TIME_AFTER_DATE = r"[ T]\d{1,2}:\d{2}.*$"


def _layout(path: Path) -> _Layout | None:
    """The report's layout, from its first lines (the encoding as the export reader detects it: a byte order mark
    for UTF-8 or UTF-16, the Excel flavour; else UTF-8 when it decodes, else Windows-1252)."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        detected = encoding.detect(path)
        codec = "utf-8-sig" if detected == encoding.UTF_8 else detected
        with path.open("r", encoding=codec, errors="replace", newline="") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except OSError:
        return None  # the export sync reports a file it cannot read
    sample_lines = re.split(r"\r\n|\n|\r", sample)
    if len(sample) == SAMPLE_BYTES:
        sample_lines.pop()  # cut by the sample's end
    lines = sample_lines[:HEADER_SEARCH_ROWS]
    for delimiter in DELIMITERS:
        rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines]
        for index, row in enumerate(rows):
            if len(row) < 3:
                continue
            for fmt in FORMATS:
                found = _layout_of(row, fmt)
                if found:
                    preamble = " ".join(" ".join(r) for r in rows[:index])
                    account = re.search(r"account id\W*(\d+)", preamble, re.IGNORECASE)
                    dates = [r[found[0][f]] for r in rows[index + 1:] for f in ("day", "starts", "ends")
                             if f in found[0] and found[0][f] < len(r)]
                    slashed = any(re.match(SLASHED, value.strip()) for value in dates)
                    numbers = [found[0][f] for f in ("spend", *NUMBER_FIELDS) if f in found[0]]
                    data = csv.reader(sample_lines[index + 1:index + 1 + NUMBER_SAMPLE_ROWS], delimiter=delimiter)
                    decimal_comma = _decimal_comma(r[n] for r in data for n in numbers if n < len(r))
                    return _Layout(fmt, detected, delimiter, index, tuple(row), found[0], found[1],
                                   account.group(1) if account else None, slashed, decimal_comma)
    return None


def detect_ad_report(path: Path) -> AdReportFormat | None:
    """Which ad platform report the file is (from its content, not its name); None when it is none of them."""
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        return None
    layout = _layout(path)
    return layout.format if layout else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _relation(layout: _Layout, text_path: Path) -> tuple[str, list[str], str]:
    """The FROM clause reading the data rows (every value as text, the header's columns as `c0`, `c1`…, one spare
    column that takes a row's values beyond the header); the names, and the spare's."""
    names = [f"c{i}" for i in range(len(layout.header))]
    spare = f"c{len(names)}"
    types = ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in [*names, spare])
    return (f"read_csv({_literal(str(text_path))}, auto_detect=false, delim={_literal(layout.delimiter)}, "
            f"quote='\"', escape='\"', header=false, skip={layout.header_line + 1}, columns={{{types}}}, "
            f"null_padding=true, strict_mode=false, max_line_size={MAX_LINE_BYTES})"), names, spare


def _typed_relation(layout: _Layout, text_path: Path, names: list[str]) -> str:
    """The FROM clause of the fast read: DuckDB's CSV reader reads the number columns itself, with the file's
    decimal mark (the other mark a thousands separator wherever it stands), a placeholder (`--`) as NULL, the rest
    as text. It fails at a row with more or fewer values than the header, and at a line longer than DuckDB's
    default (a longer maximum makes DuckDB read a file of less than twice that on one thread)."""
    numbers = {layout.columns[field] for field in ("spend", *NUMBER_FIELDS) if field in layout.columns}
    types = ", ".join(f"{_literal(name)}: '{'DOUBLE' if index in numbers else 'VARCHAR'}'"
                      for index, name in enumerate(names))
    decimal, thousands = (",", ".") if layout.decimal_comma else (".", ",")
    nulls = ", ".join(_literal(e) for e in ("", *PLACEHOLDERS))
    return (f"read_csv({_literal(str(text_path))}, auto_detect=false, delim={_literal(layout.delimiter)}, "
            f"quote='\"', escape='\"', header=false, skip={layout.header_line + 1}, columns={{{types}}}, "
            f"decimal_separator='{decimal}', thousands='{thousands}', nullstr=[{nulls}])")


def _is_empty(text: str) -> str:
    """Whether `text` (lower case, trimmed) is an empty value. Equalities, not IN: DuckDB plans a list of five or more
    values as a join, computed for every row before any CASE can spare it."""
    return "(" + " OR ".join(f"{text} = {_literal(e)}" for e in EMPTY) + ")"


def _placeholder(column: str) -> str:
    """Whether a value as read is a placeholder (`--`, `n/a`): only a short one is compared with them."""
    return f"strlen({column}) <= {EMPTY_BYTES} AND {_is_empty(f'lower({column})')}"


def _text(column: str) -> str:
    """A value as trimmed text, NULL when empty or a placeholder. Only a value that starts or ends with a space is
    trimmed (`trim` copies every value it is given)."""
    return (f"CASE WHEN prefix({column}, ' ') OR suffix({column}, ' ') THEN "
            f"CASE WHEN NOT {_is_empty(f'lower(trim({column}))')} THEN trim({column}) END "
            f"WHEN {_placeholder(column)} THEN NULL ELSE {column} END")


def _number(column: str, decimal_comma: bool) -> str:
    """A number as the report writes it, as DuckDB's CSV reader reads it with the file's decimal mark (the other
    mark dropped wherever it stands); else, with spaces and a currency sign taken out, NULL when it is still no
    number. (The fallback sits in a CASE branch, which DuckDB does not compute ahead for every row.)"""
    def marks_read(text: str) -> str:
        if decimal_comma:
            return f"try_cast(replace(replace({text}, '.', ''), ',', '.') AS DOUBLE)"
        return f"try_cast(replace({text}, ',', '') AS DOUBLE)"

    marked = f"contains({column}, ',')" + (f" OR contains({column}, '.')" if decimal_comma else "")
    bare = f"regexp_replace({column}, '[\\s\u00a0\u202f$€£¥%]', '', 'g')"
    return (f"coalesce(CASE WHEN {marked} THEN {marks_read(column)} ELSE try_cast({column} AS DOUBLE) END, "
            f"CASE WHEN {_placeholder(column)} THEN NULL ELSE {marks_read(bare)} END)")


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%d %b %Y", "%d %B %Y",
                "%d.%m.%Y")


def _date(column: str, day_first: bool) -> str:
    """A report's day, NULL when it is not one: ISO first (DuckDB's cast), then the other forms, a time after the
    date dropped."""
    day = f"regexp_replace(trim({column}), '{TIME_AFTER_DATE}', '')"
    formats = ", ".join(_literal(f) for f in (*DATE_FORMATS, "%d/%m/%Y" if day_first else "%m/%d/%Y"))
    return f"coalesce(try_cast({column} AS DATE), CAST(try_strptime({day}, [{formats}]) AS DATE))"


def _day_first(con: duckdb.DuckDBPyConnection, layout: _Layout, relation: str, names: list[str], path: Path) -> bool:
    """Whether the file's slashed dates put the day first: yes when some first number is above 12. A pass over the
    date columns, taken only when the first rows hold a slashed date."""
    if not layout.slashed_dates:
        return False
    values = [f"regexp_extract(trim({names[layout.columns[f]]}), '^{SLASHED}', ['first', 'second'])"
              for f in ("day", "starts", "ends") if f in layout.columns]
    [(day_first, month_first)] = con.execute(
        "SELECT coalesce(bool_or(try_cast(v.first AS INTEGER) > 12), false), "
        "coalesce(bool_or(try_cast(v.second AS INTEGER) > 12), false) "
        f"FROM (SELECT unnest([{', '.join(values)}]) AS v FROM {relation})").fetchall()
    if day_first and month_first:
        raise AdReportError(f"{path.name}: its dates mix day/month/year and month/day/year; export it again with "
                            "one date format (ISO 2024-01-31 is safest)")
    return day_first


@dataclass(frozen=True)
class ReportQuery:
    """How a report is read. `exact` reads every row: the `ad_spend` values (OUTPUT_COLUMNS), `_reject_reason`
    (NULL for a good row), `_raw_row` (a rejected row as read, as JSON, by the report's column names) and `_skip`
    (a `Total` or empty row, which is no data). `fast` reads the same rows with the same values while every row is
    good, DuckDB's CSV reader typing the numbers, and fails at the first row it cannot vouch for: `batches` then
    goes on from that row with the exact query."""
    exact: str
    fast: str
    first_line: int  # the line of the first data row
    exact_from: Callable[[int], str]  # the exact query from the n-th data row on

    def batches(self, con: duckdb.DuckDBPyConnection, batch_rows: int,
                wrap: Callable[[str], str] = lambda query: query) -> Iterator[pa.RecordBatch]:
        """The report's rows as the exact query reads them, in order; `wrap` is applied to each query read."""
        read = 0
        try:
            for batch in con.sql(wrap(self.fast)).to_arrow_reader(batch_rows):
                read += batch.num_rows
                yield batch
            return
        except duckdb.InterruptException:
            raise
        except (duckdb.Error, OSError):  # DuckDB's error, as the arrow reader hands it on
            pass
        yield from con.sql(wrap(self.exact_from(read))).to_arrow_reader(batch_rows)


def report_query(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path,
                 date_window: DateWindow | None = None) -> ReportQuery:
    """The queries reading an ad platform report as `ad_spend` rows (`ReportQuery`). A report not in UTF-8 is read
    from a UTF-8 copy written to `scratch`. Raises AdReportError when the file is no report this module
    understands."""
    path = Path(path)
    layout = _layout(path)
    if layout is None:
        raise AdReportError(not_recognised(path.name))
    window = date_window or DateWindow.around(date.today())
    text_path = encoding.utf8_path(path, scratch)
    relation, names, spare = _relation(layout, text_path)
    day_first = _day_first(con, layout, relation, names, path)
    fmt = layout.format

    def col(field: str) -> str:
        return names[layout.columns[field]]

    def label(field: str) -> str:
        return layout.header[layout.columns[field]].strip().replace("'", "''")

    # The values as read, each from the file's columns alone (DuckDB computes a subexpression that two values of
    # one SELECT share for every row, before any CASE could spare it); then what is made of them.
    read: dict[str, str] = {}
    made: dict[str, str] = {}
    day_field = "day" if "day" in layout.columns else "starts"
    read["date"] = _date(col(day_field), day_first)
    if day_field == "starts" and "ends" in layout.columns:
        read["_ends"] = _date(col("ends"), day_first)
    read["campaign_name"] = _text(col("campaign_name"))
    made["campaign_id"] = "campaign_name"
    if "campaign_id" in layout.columns:
        read["_campaign_id"] = _text(col("campaign_id"))
        made["campaign_id"] = "coalesce(_campaign_id, campaign_name)"
    made["account_id"] = _literal(layout.preamble_account) if layout.preamble_account else "CAST(NULL AS VARCHAR)"
    if "account_id" in layout.columns:
        read["_account_id"] = _text(col("account_id"))
        made["account_id"] = f"coalesce(_account_id, {made['account_id']})"
    header_currency = _literal(layout.header_currency) if layout.header_currency else "CAST(NULL AS VARCHAR)"
    read["_currency_text"] = (f"coalesce({_text(col('currency'))}, {header_currency})"
                              if "currency" in layout.columns else header_currency)
    made["currency"] = "upper(_currency_text)"
    numbers = [field for field in ("spend", *NUMBER_FIELDS) if field in layout.columns]
    read.update({field: "CAST(NULL AS DOUBLE)" for field in ("spend", *NUMBER_FIELDS) if field not in numbers})
    made["platform"] = _literal(fmt.platform)
    # No channel of its own: staging.spend gives it from the channel map (platform and campaign name).
    made["channel"] = "CAST(NULL AS VARCHAR)"

    # A cheap test that a row may be bad, and the reason it is, per check: the reasons, and the text of a value
    # (trimmed, a placeholder empty) they quote, are spelled out only for a suspect row.
    suspects: list[str] = []
    reasons: list[str] = []
    day_text = _text(col(day_field))
    suspects.append("date IS NULL")
    reasons.append(f"CASE WHEN date IS NULL AND {day_text} IS NOT NULL "
                   f"THEN '{label(day_field)} ''' || {day_text} || ''' is not a date' "
                   f"WHEN date IS NULL THEN '{label(day_field)} is empty: every row needs its day' END")
    first, after = f"DATE '{window.first}'", f"DATE '{window.last + timedelta(days=1)}'"
    suspects.append(f"date < {first} OR date >= {after}")
    reasons.append(f"CASE WHEN date < {first} OR date >= {after} THEN '{label(day_field)} ' || date || "
                   f"' is out of range (expected {window.first} to {window.last}: PAYBACK_MIN_DATE, "
                   "PAYBACK_MAX_FUTURE_YEARS)' END")
    if "_ends" in read:
        suspects.append("_ends <> date")
        reasons.append("CASE WHEN _ends <> date THEN 'the row covers ' || date || ' to ' || _ends || "
                       "', not one day: export the report broken down by day' END")
    suspects.append("campaign_id IS NULL")
    reasons.append(f"CASE WHEN campaign_id IS NULL THEN '{label('campaign_name')} is empty: every row needs its "
                   "campaign' END")
    unknown = f"try_cast(currency AS ENUM({', '.join(_literal(code) for code in CURRENCY_CODES)})) IS NULL"
    suspects.append(f"currency IS NULL OR {unknown}")
    reasons.append("CASE WHEN currency IS NULL THEN 'no currency: add the currency column to the report (or export "
                   "with the currency code in the spend column''s name)' "
                   f"WHEN {unknown} THEN 'currency ''' || _currency_text || "
                   "''' is not an ISO 4217 code (EUR, USD…)' END")
    suspects.append("spend IS NULL")
    # In the fast read a number is one DuckDB's CSV reader read, or NULL for an empty value (the reader fails at any
    # other): only an infinite one is suspect.
    fast_suspects = [*suspects, *(f"NOT isfinite({field})" for field in numbers)]
    for field in numbers:
        text = _text(col(field))
        suspects.append(f"({field} IS NULL AND {col(field)} IS NOT NULL) OR NOT isfinite({field})")
        reasons.append(f"CASE WHEN ({field} IS NULL AND {text} IS NOT NULL) OR NOT isfinite({field}) "
                       f"THEN '{label(field)} ''' || {text} || ''' is not a number' END")
    reasons.append(f"CASE WHEN spend IS NULL AND {_text(col('spend'))} IS NULL THEN '{label('spend')} is empty: "
                   "every row needs its spend' END")
    suspects.append(f"{spare} IS NOT NULL")
    reasons.append(f"CASE WHEN {_text(spare)} IS NOT NULL THEN 'more values than the header has columns' END")
    raw_row = "json_object(" + ", ".join(f"{_literal(h)}, {n}" for h, n in zip(layout.header, names, strict=True)) + ")"
    total = (f"CASE WHEN prefix({names[0]}, ' ') THEN lower(ltrim({names[0]})) LIKE 'total%' "
             f"ELSE {names[0]} ILIKE 'total%' END")
    empty_row = " AND ".join(f"{n} IS NULL" for n in names[1:]) or "true"
    skip = f"CASE WHEN {names[0]} IS NULL THEN {empty_row} ELSE {total} END"

    def select(relation: str, columns: list[str], numbers_read: dict[str, str], skip: str, reject_reason: str,
               raw_row: str, offset: int = 0) -> str:
        """Layers: the file's columns, the values as read, what is made of them, the reasons, the raw row of a
        reject."""
        values = {**read, **numbers_read}
        return (f"SELECT {', '.join(OUTPUT_COLUMNS)}, _reject_reason, "
                f"CASE WHEN _reject_reason IS NOT NULL THEN CAST({raw_row} AS VARCHAR) END AS _raw_row, _skip FROM ("
                f"SELECT *, {reject_reason} AS _reject_reason FROM ("
                f"SELECT *, {', '.join(f'{sql} AS {name}' for name, sql in made.items())} FROM ("
                f"SELECT *, {', '.join(f'{sql} AS {name}' for name, sql in values.items())} FROM ("
                f"SELECT {', '.join(columns)}, {skip} AS _skip FROM {relation}"
                f"{f' OFFSET {offset}' if offset else ''}))))")

    numbers_read = {field: _number(col(field), layout.decimal_comma) for field in numbers}

    def exact_from(offset: int) -> str:
        return select(relation, [*names, spare], numbers_read, skip,
                      f"CASE WHEN NOT _skip AND ({' OR '.join(f'({s})' for s in suspects)}) "
                      f"THEN nullif(concat_ws('; ', {', '.join(reasons)}), '') END", raw_row, offset)

    # The fast read: its numbers as DuckDB's CSV reader typed them, and at a suspect row, an error. An empty row is
    # no Total row there (its placeholders are NULL): it stops there too, as a row with no date.
    fast = select(_typed_relation(layout, text_path, names), names, {field: col(field) for field in numbers},
                  f"coalesce({total}, false)",
                  f"CAST(CASE WHEN NOT _skip AND ({' OR '.join(f'({s})' for s in fast_suspects)}) "
                  "THEN error('the fast read stops at this row') END AS VARCHAR)", "NULL")
    return ReportQuery(exact_from(0), fast, layout.header_line + 2, exact_from)

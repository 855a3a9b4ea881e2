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
identified by its name. Numbers: `1,234.56` and `1.234,56` are both read (a single separator followed by
exactly three digits is a thousands separator: `1,000` is a thousand), a currency sign is ignored, `--` is empty.
Dates: ISO (`2024-01-31`), `Jan 31, 2024`, `31 Jan 2024`, and slashed dates, read day first when some day of the
file is above 12 in the first place, else month first (`1/31/2024`); a time after the date is ignored.

A row that cannot be read (no date, spend or currency, a number that is not one) is returned as a reject with its
line, a reason naming the column and the fix, and the row as read; every other row loads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from pipelines.exports.encoding import UTF_8
from pipelines.exports.encoding import detect as detect_encoding
from pipelines.exports.iso4217 import CODES as CURRENCY_CODES

BATCH_ROWS = 50_000
HEADER_SEARCH_ROWS = 30  # a report's header row is among its first rows
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", "\t", ";")
EMPTY = {"", "--", "-", "—", "n/a"}

# The rows: the ad_spend columns (typed as the contract types them), conversions, and where each row came from.
# A row with a `reject_reason` is a reject (its `raw_row` is the row as read); the others are ad_spend rows.
SCHEMA = pa.schema([
    ("date", pa.date32()), ("platform", pa.string()), ("campaign_id", pa.string()), ("spend", pa.float64()),
    ("currency", pa.string()), ("account_id", pa.string()), ("campaign_name", pa.string()),
    ("channel", pa.string()), ("impressions", pa.float64()), ("clicks", pa.float64()), ("leads", pa.float64()),
    ("conversions", pa.float64()), ("line", pa.int64()), ("reject_reason", pa.string()), ("raw_row", pa.string()),
])
NUMBER_FIELDS = ("impressions", "clicks", "leads", "conversions")


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
    """Where a report's data is: its format, encoding, delimiter, header row and the column of each field."""
    format: AdReportFormat
    encoding: str
    delimiter: str
    header_row: int  # index of the header among the file's CSV rows
    header: tuple[str, ...]
    columns: dict[str, int]
    header_currency: str | None
    preamble_account: str | None


def normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().lower())


def _encoding(path: Path) -> str:
    """The codec to read the file with: what the export reader detects (a byte order mark for UTF-8 or UTF-16, the
    Excel flavour; else UTF-8 when it decodes, else Windows-1252), a UTF-8 byte order mark dropped."""
    encoding = detect_encoding(path)
    return "utf-8-sig" if encoding == UTF_8 else encoding


def _open(path: Path, encoding: str) -> io.TextIOWrapper:
    return path.open("r", encoding=encoding, errors="replace", newline="")


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


def _layout(path: Path) -> _Layout | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    encoding = _encoding(path)
    with _open(path, encoding) as handle:
        sample = handle.read(SAMPLE_BYTES)
    lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        for index, row in enumerate(rows):
            if len(row) < 3:
                continue
            for fmt in FORMATS:
                found = _layout_of(row, fmt)
                if found:
                    preamble = " ".join(" ".join(r) for r in rows[:index])
                    account = re.search(r"account id\W*(\d+)", preamble, re.IGNORECASE)
                    return _Layout(fmt, encoding, delimiter, index, tuple(row), found[0], found[1],
                                   account.group(1) if account else None)
    return None


def detect_ad_report(path: Path) -> AdReportFormat | None:
    """Which ad platform report the file is (from its content, not its name); None when it is none of them."""
    layout = _layout(Path(path))
    return layout.format if layout else None


def parse_number(text: str | None) -> Decimal | None:
    """A number as a report writes it (see the module docstring); None when empty; ValueError when not one."""
    value = re.sub(r"[\s\u00a0\u202f$€£¥%]", "", text or "")
    if value.lower() in EMPTY:
        return None
    try:
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?|-?\d+(\.\d+)?", value):
            return Decimal(value.replace(",", ""))
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d+", value):
            return Decimal(value.replace(".", "").replace(",", "."))
    except InvalidOperation:
        pass
    raise ValueError(text)


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%d %b %Y", "%d %B %Y",
                "%d.%m.%Y")
SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str | None, day_first: bool) -> date | None:
    """A report's day (see the module docstring); None when empty; ValueError when not a date."""
    value = re.sub(r"(?:[ T]\d{1,2}:\d{2}.*)$", "", (text or "").strip())
    if value.lower() in EMPTY:
        return None
    slashed = SLASHED.fullmatch(value)
    if slashed:
        first, second, year = (int(part) for part in slashed.groups())
        day, month = (first, second) if day_first else (second, first)
        return date(year, month, day)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _cell(row: list[str], layout: _Layout, field: str) -> str | None:
    index = layout.columns.get(field)
    if index is None or index >= len(row):
        return None
    value = row[index].strip()
    return None if value.lower() in EMPTY else value


def _data_rows(layout: _Layout, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each data row: after the header, without blank rows and `Total` footer rows."""
    with _open(path, layout.encoding) as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter)
        for index, row in enumerate(reader):
            if index <= layout.header_row or not any(cell.strip() for cell in row):
                continue
            if row[0].strip().lower().startswith("total"):
                continue
            yield reader.line_num, row


def _day_first(layout: _Layout, path: Path) -> bool:
    """Whether the file's slashed dates put the day first: yes when some first number is above 12."""
    day_first = month_first = False
    for _, row in _data_rows(layout, path):
        for field in ("day", "starts", "ends"):
            slashed = SLASHED.fullmatch(re.sub(r"(?:[ T]\d{1,2}:\d{2}.*)$", "", _cell(row, layout, field) or ""))
            if slashed:
                day_first |= int(slashed.group(1)) > 12
                month_first |= int(slashed.group(2)) > 12
    if day_first and month_first:
        raise AdReportError(f"{path.name}: its dates mix day/month/year and month/day/year; export it again with "
                            "one date format (ISO 2024-01-31 is safest)")
    return day_first


def _row(line: int, row: list[str], layout: _Layout, day_first: bool) -> dict:
    fmt, header = layout.format, layout.header
    # No channel of its own: staging.spend gives it from the channel map (platform and campaign name).
    out: dict = {"platform": fmt.platform, "channel": None, "line": line, "reject_reason": None,
                 "raw_row": None}
    problems: list[str] = []

    def column(field: str) -> str:
        return header[layout.columns[field]].strip()

    day_field = "day" if "day" in layout.columns else "starts"
    try:
        out["date"] = parse_date(_cell(row, layout, day_field), day_first)
        end = parse_date(_cell(row, layout, "ends"), day_first) if day_field == "starts" else None
    except ValueError as error:
        out["date"], end = None, None
        problems.append(f"{column(day_field)} {str(error)!r} is not a date")
    if out["date"] is None and not problems:
        problems.append(f"{column(day_field)} is empty: every row needs its day")
    if out["date"] and end and end != out["date"]:
        problems.append(f"the row covers {out['date']} to {end}, not one day: export the report broken down by "
                        "day")
    out["campaign_name"] = _cell(row, layout, "campaign_name")
    out["campaign_id"] = _cell(row, layout, "campaign_id") or out["campaign_name"]
    if out["campaign_id"] is None:
        problems.append(f"{column('campaign_name')} is empty: every row needs its campaign")
    out["account_id"] = _cell(row, layout, "account_id") or layout.preamble_account
    currency = _cell(row, layout, "currency") or layout.header_currency
    out["currency"] = currency.upper() if currency else None
    if currency is None:
        problems.append("no currency: add the currency column to the report (or export with the currency code in "
                        "the spend column's name)")
    elif out["currency"] not in CURRENCY_CODES:
        problems.append(f"currency {currency!r} is not an ISO 4217 code (EUR, USD…)")
    for field in ("spend", *NUMBER_FIELDS):
        if field not in layout.columns:
            out[field] = None
            continue
        try:
            value = parse_number(_cell(row, layout, field))
        except ValueError as error:
            value = None
            problems.append(f"{column(field)} {str(error)!r} is not a number")
        out[field] = float(value) if value is not None else None
    if out["spend"] is None and not any(column("spend") in p for p in problems):
        problems.append(f"{column('spend')} is empty: every row needs its spend")
    if problems:
        out["reject_reason"] = "; ".join(problems)
        out["raw_row"] = json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False)
    return out


def read_ad_report(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of an ad platform report as `SCHEMA` batches: ad_spend rows, and rejects (with `reject_reason`).
    Raises AdReportError when the file is no report this module understands."""
    path = Path(path)
    layout = _layout(path)
    if layout is None:
        raise AdReportError(not_recognised(path.name))
    day_first = _day_first(layout, path)
    rows: list[dict] = []
    for line, row in _data_rows(layout, path):
        rows.append(_row(line, row, layout, day_first))
        if len(rows) >= batch_rows:
            yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)

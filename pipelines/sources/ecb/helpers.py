"""The ECB's reference-rate file: where it is read from, and its layout. `eurofxref-hist.csv` (or the same in
`eurofxref-hist.zip`) is wide: a `Date` column, then one column per currency holding what one euro is worth in it,
`N/A` on a day the currency has no rate, and a trailing empty column. The daily `eurofxref.csv` has the same layout
with spaces after the commas and its date written out (`04 December 2025`)."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pyarrow as pa
from dlt.sources.helpers.requests import Client
from requests import RequestException

from pipelines.sources.rest import SourceError

VARIABLE = "FX_RATES_FILE"
MISSING = {"", "N/A"}
SCHEMA = pa.schema([pa.field("date", pa.date32(), nullable=False), pa.field("currency", pa.string(), nullable=False),
                    pa.field("rate", pa.float64(), nullable=False)])
COLUMNS = {"date": {"data_type": "date", "nullable": False}, "currency": {"data_type": "text", "nullable": False},
           "rate": {"data_type": "double", "nullable": False}}
# A download: a few tries over a minute at most, then one line naming the variable.
MAX_ATTEMPTS, BACKOFF_FACTOR, MAX_RETRY_DELAY, TIMEOUT_SECONDS = 3, 1.0, 10, 60


def read_location(location: str) -> bytes:
    """The bytes at a local path, a file:// URL or an http(s) URL (retried on 429, 5xx and broken connections)."""
    parts = urlsplit(location)
    if parts.scheme.lower() in ("http", "https"):
        session = Client(raise_for_status=False, request_max_attempts=MAX_ATTEMPTS,
                         request_backoff_factor=BACKOFF_FACTOR, request_max_retry_delay=MAX_RETRY_DELAY,
                         respect_retry_after_header=True).session
        try:
            response = session.get(location, timeout=TIMEOUT_SECONDS)
        except RequestException as error:
            raise SourceError(f"{VARIABLE}: {location} could not be downloaded ({error.__class__.__name__}); "
                              "the rates loaded before are kept, run again") from None
        if response.status_code != 200:
            raise SourceError(f"{VARIABLE}: {location} answered HTTP {response.status_code}; the rates loaded "
                              "before are kept, check the URL and run again")
        return response.content
    path = Path(url2pathname(parts.path)) if parts.scheme.lower() == "file" else Path(location)
    try:
        return path.read_bytes()
    except OSError as error:
        raise SourceError(f"{VARIABLE}: {path} cannot be read ({error.strerror or error.__class__.__name__})"
                          ) from None


def csv_text(data: bytes, location: str) -> str:
    """The CSV text of the file, taken out of its zip when it is one (whatever its name says)."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if len(members) != 1:
                raise SourceError(f"{VARIABLE}: {location} is a zip file without exactly one CSV file in it "
                                  f"({', '.join(archive.namelist()) or 'empty'}); give the ECB's eurofxref-hist.zip")
            data = archive.read(members[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{VARIABLE}: {location} is not a text file; give the ECB's eurofxref-hist.csv or "
                          ".zip") from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d %B %Y").date()


def reference_rates(text: str, location: str) -> pa.Table:
    """One row per day and currency that has a rate: (date, currency, rate per euro). A file in another layout, or
    a value that is not a positive number, stops the load naming the line: nothing of the file is loaded then, and
    the rates loaded before are kept."""
    rows = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(rows, [])]
    while header and not header[-1]:
        header.pop()  # the trailing empty column
    currencies = header[1:]
    if not header or header[0].lower() != "date" or not currencies or not all(
            re.fullmatch(r"[A-Z]{3}", currency) for currency in currencies):
        raise SourceError(f"{VARIABLE}: {location} is not the ECB's reference-rate file (its header must be Date, "
                          "then three-letter currency codes); give eurofxref-hist.csv or eurofxref-hist.zip")
    days, codes, rates = [], [], []
    for line, cells in enumerate(rows, start=2):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        try:
            day = _date(cells[0])
        except ValueError:
            raise SourceError(f"{VARIABLE}: {location} line {line}: {cells[0]!r} is not a date") from None
        for currency, value in zip(currencies, cells[1:], strict=False):
            if value in MISSING:
                continue
            try:
                rate = float(value)
            except ValueError:
                rate = math.nan
            if not (math.isfinite(rate) and rate > 0):
                raise SourceError(f"{VARIABLE}: {location} line {line}: the {currency} rate {value!r} is not a "
                                  "positive number")
            days.append(day)
            codes.append(currency)
            rates.append(rate)
    return pa.table([pa.array(days, pa.date32()), pa.array(codes, pa.string()), pa.array(rates, pa.float64())],
                    schema=SCHEMA)

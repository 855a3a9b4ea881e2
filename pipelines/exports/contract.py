"""The export contract: which files Payback reads, their columns, keys and row rules.

Any CRM or ad export can be mapped onto these files. `*` columns are required; timestamps are ISO 8601 with or
without offset (no offset: the reporting time zone); a bare date means 00:00 in the reporting time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT_MIN_DATE = date(1990, 1, 1)
DEFAULT_MAX_FUTURE_YEARS = 10


@dataclass(frozen=True)
class DateWindow:
    """The days a date or timestamp in an export may fall on. A date outside is a placeholder or a typo
    (9999-12-31 as "no end", 1900-01-01, 20025), and kept it would skew every period it spreads over."""
    first: date
    last: date

    @classmethod
    def around(cls, as_of: date, first: date = DEFAULT_MIN_DATE,
               future_years: int = DEFAULT_MAX_FUTURE_YEARS) -> DateWindow:
        """From `first` to `future_years` after `as_of` (28 February for a 29th in a year without one)."""
        year = as_of.year + future_years
        try:
            return cls(first, as_of.replace(year=year))
        except ValueError:
            return cls(first, date(year, 3, 1) - timedelta(days=1))


# Column types: text, timestamp (stored as UTC without time zone), date, number (DOUBLE), currency (ISO 4217).
TEXT, TIMESTAMP, DATE, NUMBER, CURRENCY = "text", "timestamp", "date", "number", "currency"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = False
    allowed: tuple[str, ...] = ()  # closed vocabulary, compared lower-case


@dataclass(frozen=True)
class ExportKind:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    description: str
    updated_at: str | None = None  # the column whose latest value wins when a key repeats
    one_of: tuple[str, ...] = ()  # at least one of these must be present
    # Extra row rules: (SQL condition that is true for a bad row, reason). Columns are already typed.
    rules: tuple[tuple[str, str], ...] = field(default=())
    example: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _cols(*specs: Column) -> tuple[Column, ...]:
    return specs


KINDS: dict[str, ExportKind] = {k.name: k for k in (
    ExportKind(
        "contacts",
        _cols(Column("contact_id", required=True), Column("created_at", TIMESTAMP, required=True),
              Column("email"), Column("company_id"), Column("lifecycle_stage"),
              Column("lead_at", TIMESTAMP), Column("customer_at", TIMESTAMP), Column("original_channel"),
              Column("original_campaign_id"), Column("country"), Column("industry"), Column("company_size"),
              Column("updated_at", TIMESTAMP),
              Column("mql_at", TIMESTAMP), Column("sql_at", TIMESTAMP), Column("opportunity_at", TIMESTAMP)),
        primary_key=("contact_id",), updated_at="updated_at",
        description="People in the CRM: leads and customers' contacts.",
        example={"contact_id": "c-1001", "created_at": "2025-03-04T09:12:00+01:00", "email": "ana@acme.io",
                 "company_id": "acme", "lifecycle_stage": "customer", "lead_at": "2025-03-04",
                 "customer_at": "", "original_channel": "paid_search", "original_campaign_id": "g-brand",
                 "country": "FR", "industry": "software", "company_size": "51-200",
                 "updated_at": "2025-06-01T10:00:00Z",
                 "mql_at": "2025-03-12", "sql_at": "2025-03-20", "opportunity_at": "2025-03-27"},
    ),
    ExportKind(
        "companies",
        _cols(Column("company_id", required=True), Column("name"), Column("country"), Column("industry"),
              Column("employees", NUMBER), Column("created_at", TIMESTAMP), Column("updated_at", TIMESTAMP)),
        primary_key=("company_id",), updated_at="updated_at",
        description="Accounts: the companies customers belong to.",
        example={"company_id": "acme", "name": "Acme", "country": "FR", "industry": "software",
                 "employees": "120", "created_at": "2025-03-04", "updated_at": "2025-06-01T10:00:00Z"},
    ),
    ExportKind(
        "deals",
        _cols(Column("deal_id", required=True), Column("company_id"), Column("contact_id"),
              Column("created_at", TIMESTAMP, required=True),
              Column("status", required=True, allowed=("open", "won", "lost")), Column("closed_at", TIMESTAMP),
              Column("amount", NUMBER, required=True), Column("currency", CURRENCY, required=True),
              Column("deal_type", allowed=("new", "renewal", "expansion")), Column("contract_start", DATE),
              Column("contract_end", DATE), Column("pipeline"), Column("stage"), Column("updated_at", TIMESTAMP)),
        primary_key=("deal_id",), updated_at="updated_at", one_of=("company_id", "contact_id"),
        rules=(
            ("status IN ('won', 'lost') AND closed_at IS NULL", "closed_at is required when status is won or lost"),
            ("closed_at < created_at", "deal closed before it was created (closed_at < created_at)"),
            ("contract_end < contract_start", "contract_end is before contract_start"),
        ),
        description="Opportunities: open, won or lost, with amount and currency.",
        example={"deal_id": "d-501", "company_id": "acme", "contact_id": "c-1001",
                 "created_at": "2025-03-10T14:00:00Z", "status": "won", "closed_at": "2025-04-02T16:30:00Z",
                 "amount": "12000", "currency": "EUR", "deal_type": "new", "contract_start": "2025-04-02",
                 "contract_end": "2026-04-01", "pipeline": "default", "stage": "closedwon",
                 "updated_at": "2025-04-02T16:30:00Z"},
    ),
    ExportKind(
        "ad_spend",
        _cols(Column("date", DATE, required=True), Column("platform", required=True),
              Column("campaign_id", required=True), Column("spend", NUMBER, required=True),
              Column("currency", CURRENCY, required=True), Column("account_id"), Column("campaign_name"),
              Column("channel"), Column("impressions", NUMBER), Column("clicks", NUMBER), Column("leads", NUMBER),
              Column("conversions", NUMBER)),
        primary_key=("date", "platform", "campaign_id"),
        description="Daily paid media spend per campaign, from any ad platform (its UI report downloads too, "
                    "whatever their name).",
        example={"date": "2025-03-04", "platform": "google_ads", "campaign_id": "g-brand", "spend": "152.40",
                 "currency": "USD", "account_id": "123-456-7890", "campaign_name": "Brand - Search",
                 "channel": "paid_search", "impressions": "5400", "clicks": "230", "leads": "9",
                 "conversions": "11.5"},
    ),
    ExportKind(
        "costs",
        _cols(Column("cost_id", required=True), Column("start_date", DATE, required=True),
              Column("end_date", DATE, required=True),
              Column("team", required=True, allowed=("marketing", "sales")), Column("category", required=True),
              Column("amount", NUMBER, required=True), Column("currency", CURRENCY, required=True),
              Column("description")),
        primary_key=("cost_id",),
        rules=(("end_date < start_date", "end_date is before start_date"),),
        description="The sales and marketing cost ledger: salaries, commissions, tools, agencies, overhead.",
        example={"cost_id": "sal-2025-03-sdr", "start_date": "2025-03-01", "end_date": "2025-03-31",
                 "team": "sales", "category": "salaries", "amount": "18500", "currency": "EUR",
                 "description": "SDR team payroll"},
    ),
    ExportKind(
        "touchpoints",
        _cols(Column("touchpoint_id"), Column("contact_id", required=True),
              Column("touched_at", TIMESTAMP, required=True), Column("channel"),
              Column("campaign_id"), Column("touch_type"), Column("campaign_name"), Column("utm_source"),
              Column("utm_medium")),
        primary_key=("touchpoint_id",), one_of=("channel", "utm_source", "utm_medium", "campaign_id"),
        description="Marketing and sales interactions of a contact (ad clicks, form fills, events, meetings).",
        example={"touchpoint_id": "t-9001", "contact_id": "c-1001", "touched_at": "2025-03-03T18:22:00Z",
                 "channel": "paid_search", "campaign_id": "g-brand", "touch_type": "ad_click",
                 "campaign_name": "Brand - Search", "utm_source": "google", "utm_medium": "cpc"},
    ),
    ExportKind(
        "orders",
        _cols(Column("order_id", required=True), Column("contact_id"), Column("company_id"),
              Column("ordered_at", TIMESTAMP, required=True), Column("amount", NUMBER, required=True),
              Column("currency", CURRENCY, required=True)),
        primary_key=("order_id",), one_of=("contact_id", "company_id"),
        description="Purchases or invoices of transactional customers.",
        example={"order_id": "o-77", "contact_id": "c-1001", "company_id": "acme",
                 "ordered_at": "2025-05-02T08:00:00Z", "amount": "490", "currency": "EUR"},
    ),
    ExportKind(
        "fx_rates",
        _cols(Column("date", DATE, required=True), Column("base", CURRENCY, required=True),
              Column("quote", CURRENCY, required=True), Column("rate", NUMBER, required=True)),
        primary_key=("date", "base", "quote"),
        rules=(("rate <= 0", "rate must be positive"),),
        description="Daily FX rates: one `base` is worth `rate` `quote` (ECB style).",
        example={"date": "2025-03-04", "base": "EUR", "quote": "USD", "rate": "1.0812"},
    ),
)}

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def kind_of(relative_path: str) -> str | None:
    """The export kind a file holds, from its name or its folder: `deals.csv`, `deals_2025-03.csv`,
    `deals/part-1.parquet` are all deals. None when no kind matches."""
    parts = relative_path.replace("\\", "/").split("/")
    candidates = [p.lower() for p in parts[:-1]] + [parts[-1].lower().split(".")[0]]
    for candidate in reversed(candidates):
        for kind in sorted(KINDS, key=len, reverse=True):
            if re.fullmatch(rf"{kind}([-_ .].*)?", candidate):
                return kind
    return None

"""Settings from the environment and `.env`, validated once at start.

A bad value stops the program with a message naming the variable, before anything is read or written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from pipelines.exports.contract import DEFAULT_MAX_FUTURE_YEARS, DEFAULT_MIN_DATE, DateWindow


class ConfigError(ValueError):
    """A configuration variable has a value Payback cannot use."""


def _number(env: dict, name: str, default: str, *, low: float, high: float | None = None,
            integer: bool = False, low_inclusive: bool = True) -> float:
    raw = env.get(name, "").strip() or default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name}={raw!r} is not {kind}") from None
    too_low = value < low if low_inclusive else value <= low
    if too_low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"above {low:g}"
        raise ConfigError(f"{name}={raw!r} must be {bound}")
    return value


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    exports_dir: Path
    reporting_currency: str = "EUR"
    reporting_timezone: str = "UTC"
    fiscal_year_start_month: int = 1
    active_window_days: int = 365
    gross_margin: float = 1.0
    ltv_cac_target: float = 3.0
    payback_target_months: float = 12.0
    overhead_allocation: str = "proportional"
    # HubSpot: configured when a private app token is set. The token never appears in repr, logs or errors.
    hubspot_access_token: str | None = field(default=None, repr=False)
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_extra_properties: tuple[str, ...] = ()
    hubspot_lookback_minutes: float = 60.0
    hubspot_schedule_cron: str = "0 5 * * *"
    # Pipedrive: configured when an API token is set (and the company domain or a base URL).
    pipedrive_api_token: str | None = field(default=None, repr=False)
    pipedrive_base_url: str | None = None
    pipedrive_lookback_minutes: float = 60.0
    pipedrive_schedule_cron: str = "0 5 * * *"
    # Salesforce: configured with an instance URL and an access token, or a connected app's client id and secret
    # (client-credentials flow; refresh-token flow when a refresh token is set).
    salesforce_instance_url: str | None = None
    salesforce_access_token: str | None = field(default=None, repr=False)
    salesforce_client_id: str | None = field(default=None, repr=False)
    salesforce_client_secret: str | None = field(default=None, repr=False)
    salesforce_refresh_token: str | None = field(default=None, repr=False)
    salesforce_token_url: str | None = None
    salesforce_lookback_minutes: float = 60.0
    salesforce_schedule_cron: str = "0 5 * * *"
    schedule_cron: str = "0 6 * * *"
    # The day every "to date", "active" and "has passed" is judged at: a rebuild on the same data and settings gives
    # the same numbers on any day. Default: today.
    as_of: date = field(default_factory=date.today)
    # Dates an export may hold: from min_date to max_future_years after as_of; a date outside is rejected.
    min_date: date = DEFAULT_MIN_DATE
    max_future_years: int = DEFAULT_MAX_FUTURE_YEARS

    @property
    def sources(self) -> tuple[str, ...]:
        """The configured sources: the export folder always, each CRM when its credentials are set."""
        salesforce = self.salesforce_instance_url and (
            self.salesforce_access_token or (self.salesforce_client_id and self.salesforce_client_secret))
        return (("exports",) + (("hubspot",) if self.hubspot_access_token else ())
                + (("pipedrive",) if self.pipedrive_api_token else ()) + (("salesforce",) if salesforce else ()))

    @property
    def export_date_window(self) -> DateWindow:
        """The days a date in an export may fall on."""
        return DateWindow.around(self.as_of, self.min_date, self.max_future_years)

    @classmethod
    def from_env(cls, env: dict | None = None) -> Settings:
        """Read settings; `.env` in the working directory fills what the environment does not set."""
        if env is None:
            load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        currency = (env.get("REPORTING_CURRENCY", "").strip() or "EUR").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ConfigError(f"REPORTING_CURRENCY={currency!r} is not a three-letter ISO 4217 code")
        timezone = env.get("REPORTING_TIMEZONE", "").strip() or "UTC"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"REPORTING_TIMEZONE={timezone!r} is not an IANA time zone (e.g. Europe/Paris)") from None
        allocation = env.get("OVERHEAD_ALLOCATION", "").strip() or "proportional"
        pipedrive_token = env.get("PIPEDRIVE_API_TOKEN", "").strip() or None
        domain = env.get("PIPEDRIVE_COMPANY_DOMAIN", "").strip()
        pipedrive_url = env.get("PIPEDRIVE_BASE_URL", "").strip() or (f"https://{domain}.pipedrive.com" if domain
                                                                       else None)
        if pipedrive_token and not pipedrive_url:
            raise ConfigError("PIPEDRIVE_COMPANY_DOMAIN is required with PIPEDRIVE_API_TOKEN "
                              "(the <company> of https://<company>.pipedrive.com), or set PIPEDRIVE_BASE_URL")
        as_of_text = env.get("PAYBACK_AS_OF", "").strip()
        try:
            as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
        except ValueError:
            raise ConfigError(f"PAYBACK_AS_OF={as_of_text!r} is not a date (YYYY-MM-DD)") from None
        min_date_text = env.get("PAYBACK_MIN_DATE", "").strip() or DEFAULT_MIN_DATE.isoformat()
        try:
            min_date = date.fromisoformat(min_date_text)
        except ValueError:
            raise ConfigError(f"PAYBACK_MIN_DATE={min_date_text!r} is not a date (YYYY-MM-DD)") from None
        if min_date > as_of:
            raise ConfigError(f"PAYBACK_MIN_DATE={min_date_text!r} is after the as-of date {as_of} (PAYBACK_AS_OF)")
        if allocation not in ("proportional", "unallocated"):
            raise ConfigError(f"OVERHEAD_ALLOCATION={allocation!r} must be 'proportional' or 'unallocated'")
        return cls(
            duckdb_path=Path(env.get("PAYBACK_DUCKDB_PATH", "").strip() or "data/payback.duckdb"),
            exports_dir=Path(env.get("PAYBACK_EXPORTS_DIR", "").strip() or "data/exports"),
            reporting_currency=currency,
            reporting_timezone=timezone,
            fiscal_year_start_month=int(_number(env, "FISCAL_YEAR_START_MONTH", "1", low=1, high=12, integer=True)),
            active_window_days=int(_number(env, "ACTIVE_WINDOW_DAYS", "365", low=1, integer=True)),
            gross_margin=_number(env, "GROSS_MARGIN", "1.0", low=0, high=1, low_inclusive=False),
            ltv_cac_target=_number(env, "LTV_CAC_TARGET", "3", low=0, low_inclusive=False),
            payback_target_months=_number(env, "PAYBACK_TARGET_MONTHS", "12", low=0, low_inclusive=False),
            overhead_allocation=allocation,
            hubspot_access_token=env.get("HUBSPOT_ACCESS_TOKEN", "").strip() or None,
            hubspot_base_url=env.get("HUBSPOT_BASE_URL", "").strip() or "https://api.hubapi.com",
            hubspot_extra_properties=tuple(p.strip() for p in env.get("HUBSPOT_EXTRA_PROPERTIES", "").split(",")
                                           if p.strip()),
            hubspot_lookback_minutes=_number(env, "HUBSPOT_LOOKBACK_MINUTES", "60", low=0),
            hubspot_schedule_cron=env.get("HUBSPOT_SCHEDULE_CRON", "").strip() or "0 5 * * *",
            pipedrive_api_token=pipedrive_token,
            pipedrive_base_url=pipedrive_url,
            pipedrive_lookback_minutes=_number(env, "PIPEDRIVE_LOOKBACK_MINUTES", "60", low=0),
            pipedrive_schedule_cron=env.get("PIPEDRIVE_SCHEDULE_CRON", "").strip() or "0 5 * * *",
            salesforce_instance_url=env.get("SALESFORCE_INSTANCE_URL", "").strip() or None,
            salesforce_access_token=env.get("SALESFORCE_ACCESS_TOKEN", "").strip() or None,
            salesforce_client_id=env.get("SALESFORCE_CLIENT_ID", "").strip() or None,
            salesforce_client_secret=env.get("SALESFORCE_CLIENT_SECRET", "").strip() or None,
            salesforce_refresh_token=env.get("SALESFORCE_REFRESH_TOKEN", "").strip() or None,
            salesforce_token_url=env.get("SALESFORCE_TOKEN_URL", "").strip() or None,
            salesforce_lookback_minutes=_number(env, "SALESFORCE_LOOKBACK_MINUTES", "60", low=0),
            salesforce_schedule_cron=env.get("SALESFORCE_SCHEDULE_CRON", "").strip() or "0 5 * * *",
            schedule_cron=env.get("PAYBACK_SCHEDULE_CRON", "").strip() or "0 6 * * *",
            as_of=as_of,
            min_date=min_date,
            max_future_years=int(_number(env, "PAYBACK_MAX_FUTURE_YEARS", str(DEFAULT_MAX_FUTURE_YEARS), low=0,
                                         high=1000, integer=True)),
        )

    def sql_variables(self) -> dict[str, object]:
        """The values the SQL transforms read with `getvariable(...)`."""
        return {
            "reporting_currency": self.reporting_currency,
            "reporting_timezone": self.reporting_timezone,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "active_window_days": self.active_window_days,
            "gross_margin": self.gross_margin,
            "ltv_cac_target": self.ltv_cac_target,
            "payback_target_months": self.payback_target_months,
            "overhead_allocation": self.overhead_allocation,
            "as_of": self.as_of,
        }

"""What the ad platform sources (google_ads, meta_ads, linkedin_ads) share: their settings, the table they fill
and how a sync re-reads recent days.

Each platform lands daily spend per campaign in `raw_<platform>.campaign_daily`, one row per
(platform, account_id, campaign_id, date). Platforms restate recent days (late conversions, invalid-click
refunds), so every sync re-reads the last `lookback_days` of each account and a re-read day replaces that
account's day as a whole (dlt merge with a merge key on the account's day): a restated day is never counted
twice, and a campaign the platform no longer reports on that day is gone too.

The cursor is kept per account, in the resource's dlt state (in DuckDB with the data): an account added to the
variable later gets its own first sync from the start date, which one cursor for the whole resource (dlt's
`incremental`) could not give it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta

import dlt
from requests import HTTPError

from pipelines.config import ConfigError
from pipelines.sources.rest import SourceError

TABLE = "campaign_daily"
KEY = ("platform", "account_id", "campaign_id", "date")
DAY_OF_ACCOUNT = ("platform", "account_id", "date")  # the merge key: a re-read day replaces the account's day
DEFAULT_CRON = "0 4 * * *"
DEFAULT_LOOKBACK_DAYS = 28
DEFAULT_HISTORY_DAYS = 730  # the first sync of an account reads two years back unless ADS_START_DATE says otherwise

# Every variable: (name, description, default, secret, required). `required` ones configure the source: none
# set means the platform is not used; some set and not others is an error naming the missing ones.
COMMON_VARIABLES = (
    ("ADS_START_DATE", "first day an account's first sync reads (YYYY-MM-DD)", "two years before today", False,
     False),
    ("ADS_LOOKBACK_DAYS", "recent days every sync reads again, which platforms restate", str(DEFAULT_LOOKBACK_DAYS),
     False, False),
)

# Columns every platform's table declares (so that staging runs before a first sync); each adds its metrics.
COMMON_COLUMNS = {
    "platform": {"data_type": "text", "nullable": False},
    "account_id": {"data_type": "text", "nullable": False},
    "campaign_id": {"data_type": "text", "nullable": False},
    "date": {"data_type": "date", "nullable": False},
    "campaign_name": {"data_type": "text"},
    "currency": {"data_type": "text"},
    "impressions": {"data_type": "bigint"},
    "clicks": {"data_type": "bigint"},
}


def today() -> date:
    return datetime.now(UTC).date()


def setting(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    return value or None


def require_all(env: Mapping[str, str], names: Iterable[str]) -> bool:
    """True when every required variable is set, False when none is (the platform is not used); an error naming
    what is missing when only some are."""
    names = list(names)
    missing = [name for name in names if not setting(env, name)]
    if len(missing) == len(names):
        return False
    if missing:
        given = [name for name in names if name not in missing]
        raise ConfigError(f"{', '.join(missing)} must be set with {', '.join(given)}")
    return True


def id_list(env: Mapping[str, str], name: str, strip: str = r"[\s-]") -> tuple[str, ...]:
    """A comma-separated list of numeric account ids; `strip` is what to remove from each first (dashes of
    123-456-7890, a prefix such as act_ or urn:li:sponsoredAccount:)."""
    ids = tuple(re.sub(strip, "", part) for part in (env.get(name) or "").split(",") if part.strip())
    bad = [value for value in ids if not value.isdigit()]
    if bad or not ids:
        raise ConfigError(f"{name}={env.get(name)!r} must be a comma-separated list of numeric account ids")
    return ids


def start_date_from(env: Mapping[str, str]) -> date:
    text = setting(env, "ADS_START_DATE")
    if text is None:
        return today() - timedelta(days=DEFAULT_HISTORY_DAYS)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"ADS_START_DATE={text!r} is not a date (YYYY-MM-DD)") from None


def lookback_days_from(env: Mapping[str, str]) -> int:
    text = setting(env, "ADS_LOOKBACK_DAYS") or str(DEFAULT_LOOKBACK_DAYS)
    if not text.isdigit():
        raise ConfigError(f"ADS_LOOKBACK_DAYS={text!r} must be a whole number of days (0 or more)")
    return int(text)


def as_date(value: date | str | None) -> date:
    if value is None:
        return today() - timedelta(days=DEFAULT_HISTORY_DAYS)
    return value if isinstance(value, date) else date.fromisoformat(value)


def date_windows(first: date, last: date, days: int) -> Iterator[tuple[date, date]]:
    """[first, last] cut into consecutive inclusive windows of at most `days` days."""
    while first <= last:
        end = min(first + timedelta(days=days - 1), last)
        yield first, end
        first = end + timedelta(days=1)


def campaign_daily_resource(accounts: Iterable[str], fetch: Callable[[str, date, date], Iterator[list]],
                            start_date: date, lookback_days: int, window_days: int, columns: dict,
                            explain: Callable[[HTTPError], SourceError]):
    """The `campaign_daily` resource of one platform. `fetch(account, first, last)` yields pages of rows (dicts
    with the KEY columns) for the days first..last of one account; it is called window by window."""
    accounts = tuple(accounts)

    @dlt.resource(name=TABLE, primary_key=KEY, merge_key=DAY_OF_ACCOUNT, write_disposition="merge",
                  columns={**COMMON_COLUMNS, **columns})
    def campaign_daily() -> Iterator[list[dict]]:
        """Daily spend, impressions, clicks and platform-reported conversions per campaign."""
        synced = dlt.current.resource_state().setdefault("synced_through", {})
        last = today()
        try:
            for account in accounts:
                done = synced.get(account)
                first = (max(start_date, date.fromisoformat(done) - timedelta(days=lookback_days))
                         if done else start_date)
                for window_first, window_last in date_windows(first, last, window_days):
                    for page in fetch(account, window_first, window_last):
                        if page:
                            yield page
                synced[account] = last.isoformat()
        except HTTPError as error:
            raise explain(error) from None

    return campaign_daily

"""What the ad platform sources (google_ads, meta_ads, linkedin_ads) share: the variables all of them read
(ADS_START_DATE, ADS_LOOKBACK_DAYS), account id lists, the table they fill and how a sync re-reads recent days.

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
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated, Any

import dlt
from pydantic import BeforeValidator, Field
from pydantic_settings import NoDecode
from requests import HTTPError

from pipelines.sources.rest import SourceError

TABLE = "campaign_daily"
KEY = ("platform", "account_id", "campaign_id", "date")
DAY_OF_ACCOUNT = ("platform", "account_id", "date")  # the merge key: a re-read day replaces the account's day
DEFAULT_CRON = "0 4 * * *"
DEFAULT_LOOKBACK_DAYS = 28
DEFAULT_HISTORY_DAYS = 730  # the first sync of an account reads two years back unless ADS_START_DATE says otherwise

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


def _ids(strip: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    ids = tuple(re.sub(strip, "", part) for part in value.split(",") if part.strip())
    if not ids or not all(part.isdigit() for part in ids):
        raise ValueError("is not a comma-separated list of numeric account ids")
    return ids


def account_ids(strip: str = r"[\s-]"):
    """The type of a variable listing numeric account ids, comma-separated; `strip` is what to remove from each
    first (the dashes of 123-456-7890, a prefix such as act_ or urn:li:sponsoredAccount:)."""
    return Annotated[tuple[str, ...] | None, NoDecode, BeforeValidator(partial(_ids, strip))]


# The variables every ad platform reads: one value for all of them, each platform's settings declaring the same
# variable (fresh fields, declared last, so that each platform's own variables come first in the docs).
def start_date_field():
    return Field(None, validation_alias="ADS_START_DATE",
                 json_schema_extra={"shown_default": "two years before today"},
                 description="every ad platform: first day an account's first sync reads (YYYY-MM-DD)")


def lookback_days_field():
    return Field(DEFAULT_LOOKBACK_DAYS, ge=0, validation_alias="ADS_LOOKBACK_DAYS",
                 description="every ad platform: recent days each sync reads again, which the platforms restate "
                             "(late conversions, invalid-click refunds)")


def date_windows(first: date, last: date, days: int) -> Iterator[tuple[date, date]]:
    """[first, last] cut into consecutive inclusive windows of at most `days` days."""
    while first <= last:
        end = min(first + timedelta(days=days - 1), last)
        yield first, end
        first = end + timedelta(days=1)


def campaign_daily_resource(accounts: Iterable[str], fetch: Callable[[str, date, date], Iterator[list]],
                            start_date: date | None, lookback_days: int, window_days: int, columns: dict,
                            explain: Callable[[HTTPError], SourceError]):
    """The `campaign_daily` resource of one platform. `fetch(account, first, last)` yields pages of rows (dicts
    with the KEY columns) for the days first..last of one account; it is called window by window. An account's
    first sync starts at `start_date` (None: two years before the day it runs)."""
    accounts = tuple(accounts)

    @dlt.resource(name=TABLE, primary_key=KEY, merge_key=DAY_OF_ACCOUNT, write_disposition="merge",
                  columns={**COMMON_COLUMNS, **columns})
    def campaign_daily() -> Iterator[list[dict]]:
        """Daily spend, impressions, clicks and platform-reported conversions per campaign."""
        synced = dlt.current.resource_state().setdefault("synced_through", {})
        last = today()
        start = start_date or last - timedelta(days=DEFAULT_HISTORY_DAYS)
        try:
            for account in accounts:
                done = synced.get(account)
                first = max(start, date.fromisoformat(done) - timedelta(days=lookback_days)) if done else start
                for window_first, window_last in date_windows(first, last, window_days):
                    for page in fetch(account, window_first, window_last):
                        if page:
                            yield page
                synced[account] = last.isoformat()
        except HTTPError as error:
            raise explain(error) from None

    return campaign_daily

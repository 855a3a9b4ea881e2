"""Meta (Facebook and Instagram ads): daily spend, impressions, clicks, leads and conversions per campaign of each
ad account, from the Marketing API insights (`level=campaign`, `time_increment=1`), into
`raw_meta_ads.campaign_daily`.

Spend is in the account's currency (`account_currency`). Rate limits slow the sync down rather than fail it.
Every sync re-reads the last `lookback_days` of each account (see pipelines/sources/ad_platforms.py).
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from pipelines.sources.ad_platforms import (
    DEFAULT_LOOKBACK_DAYS,
    as_date,
    campaign_daily_resource,
    id_list,
    lookback_days_from,
    require_all,
    setting,
    start_date_from,
)
from pipelines.sources.meta_ads.helpers import UsageAwareAdapter, explain_error, insights_rows, should_retry
from pipelines.sources.meta_ads.settings import COLUMNS, DEFAULT_BASE_URL, REQUIRED, WINDOW_DAYS
from pipelines.sources.rest import retrying_client


def _account_id(value: str) -> str:
    return re.sub(r"^act_", "", value.strip())


@dlt.source(name="meta_ads", max_table_nesting=0)
def meta_ads_source(access_token: str = dlt.secrets.value, ad_account_ids: Sequence[str] = dlt.config.value,
                    base_url: str = DEFAULT_BASE_URL, start_date: date | str | None = None,
                    lookback_days: int = DEFAULT_LOOKBACK_DAYS, window_days: int = WINDOW_DAYS,
                    max_attempts: int = 6, backoff_factor: float = 1.0, max_retry_delay: float = 300.0,
                    rate_limit_wait: float = 60.0, usage_pause: float = 30.0):
    """Daily campaign insights of each ad account (ids with or without `act_`). The token goes in the
    Authorization header, never in a URL. A rate-limit error waits what Meta says (else `rate_limit_wait`
    seconds) and retries; a usage header past 75% pauses the next request up to `usage_pause` seconds."""
    client = retrying_client(base_url, BearerTokenAuth(access_token), max_attempts, backoff_factor,
                             max_retry_delay, retry_condition=should_retry)
    adapter = UsageAwareAdapter(usage_pause, rate_limit_wait, max_retry_delay, pool_maxsize=10)
    for scheme in ("http://", "https://"):
        client.session.mount(scheme, adapter)
    return campaign_daily_resource([_account_id(a) for a in ad_account_ids], partial(insights_rows, client),
                                   as_date(start_date), lookback_days, window_days, COLUMNS, explain_error)


def source_from_env(env: Mapping[str, str]):
    """The source from the META_* variables; None when none of them is set."""
    if not require_all(env, REQUIRED):
        return None
    return meta_ads_source(access_token=setting(env, "META_ACCESS_TOKEN"),
                           ad_account_ids=id_list(env, "META_AD_ACCOUNT_IDS", strip=r"\s|act_"),
                           base_url=setting(env, "META_BASE_URL") or DEFAULT_BASE_URL,
                           start_date=start_date_from(env), lookback_days=lookback_days_from(env))

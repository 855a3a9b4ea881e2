"""Meta (Facebook and Instagram ads): daily spend, impressions, clicks, leads and conversions per campaign of each
ad account, from the Marketing API insights (`level=campaign`, `time_increment=1`), into
`raw_meta_ads.campaign_daily`.

Spend is in the account's currency (`account_currency`). Rate limits slow the sync down rather than fail it.
Every sync re-reads the last `lookback_days` of each account (see pipelines/sources/ad_platforms.py).
"""

import re
from collections.abc import Sequence
from datetime import date
from functools import partial

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from pipelines.sources.ad_platforms import DEFAULT_CRON, DEFAULT_LOOKBACK_DAYS, campaign_daily_resource
from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.meta_ads.helpers import UsageAwareAdapter, explain_error, insights_rows, should_retry
from pipelines.sources.meta_ads.settings import COLUMNS, DATASET, DEFAULT_BASE_URL, WINDOW_DAYS, MetaAdsSettings
from pipelines.sources.rest import retrying_client


def _account_id(value: str) -> str:
    return re.sub(r"^act_", "", value.strip())


@dlt.source(name="meta_ads", max_table_nesting=0)
def meta_ads_source(access_token: str = dlt.secrets.value, ad_account_ids: Sequence[str] = dlt.config.value,
                    base_url: str = DEFAULT_BASE_URL, start_date: date | None = None,
                    lookback_days: int = DEFAULT_LOOKBACK_DAYS, window_days: int = WINDOW_DAYS,
                    max_attempts: int = 6, backoff_factor: float = 1.0, max_retry_delay: float = 300.0,
                    rate_limit_wait: float = 60.0, usage_pause: float = 30.0):
    """Daily campaign insights of each ad account (ids with or without `act_`). The token goes in the
    Authorization header, never in a URL. The usage headers pace the sync: past 75% of a limit, the next request
    waits until that usage is back at 75% (or, when Meta does not say when, up to `usage_pause` seconds). A
    rate-limit error waits what Meta says (else `rate_limit_wait` seconds: how long Meta's Standard tier blocks an
    ad account) and retries."""
    client = retrying_client(base_url, BearerTokenAuth(access_token), max_attempts, backoff_factor,
                             max_retry_delay, retry_condition=should_retry)
    adapter = UsageAwareAdapter(usage_pause, rate_limit_wait, max_retry_delay, pool_maxsize=10)
    for scheme in ("http://", "https://"):
        client.session.mount(scheme, adapter)
    return campaign_daily_resource([_account_id(a) for a in ad_account_ids], partial(insights_rows, client),
                                   start_date, lookback_days, window_days, COLUMNS, explain_error)


SOURCE = SourceDeclaration(
    name="meta_ads",
    title="Meta Ads",
    dataset=DATASET,
    settings=MetaAdsSettings,
    build=lambda config, _: meta_ads_source(access_token=config.access_token.get_secret_value(),
                                            ad_account_ids=config.ad_account_ids, base_url=config.base_url,
                                            start_date=config.start_date, lookback_days=config.lookback_days),
    default_cron=DEFAULT_CRON,
    test_server="tests.fake_apis.meta_ads:FakeMetaAds",
)

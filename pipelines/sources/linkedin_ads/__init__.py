"""LinkedIn: daily spend, impressions, clicks, leads and conversions per campaign of each ad account, from
`adAnalytics` (`q=analytics`, CAMPAIGN pivot, DAILY granularity) in date windows small enough for its size limit,
with campaign names and the account currency from the campaigns and accounts endpoints, into
`raw_linkedin_ads.campaign_daily`.

Spend is `cost_in_local_currency`, in the account's currency. Every sync re-reads the last `lookback_days` of
each account (see pipelines/sources/ad_platforms.py).
"""

from collections.abc import Sequence
from datetime import date
from functools import partial

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from pipelines.sources.ad_platforms import DEFAULT_CRON, DEFAULT_LOOKBACK_DAYS, campaign_daily_resource
from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.linkedin_ads.helpers import Accounts, analytics_rows, explain_error
from pipelines.sources.linkedin_ads.settings import (
    COLUMNS,
    DATASET,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    ELEMENT_CAP,
    REQUESTS_PER_SECOND,
    WINDOW_DAYS,
    LinkedInAdsSettings,
)
from pipelines.sources.rest import retrying_client


@dlt.source(name="linkedin_ads", max_table_nesting=0)
def linkedin_ads_source(access_token: str = dlt.secrets.value, ad_account_ids: Sequence[str] = dlt.config.value,
                        base_url: str = DEFAULT_BASE_URL, api_version: str = DEFAULT_API_VERSION,
                        start_date: date | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
                        window_days: int = WINDOW_DAYS, element_cap: int = ELEMENT_CAP, max_attempts: int = 6,
                        backoff_factor: float = 1.0, max_retry_delay: float = 60.0,
                        requests_per_second: float | None = REQUESTS_PER_SECOND):
    """Daily campaign analytics of each ad account (ids, or `urn:li:sponsoredAccount:` URNs). Requests go one at a
    time, at most `requests_per_second`; a 429 is retried after an exponential backoff (LinkedIn sends no
    Retry-After)."""
    client = retrying_client(base_url, BearerTokenAuth(access_token), max_attempts, backoff_factor, max_retry_delay,
                             requests_per_second)
    client.headers = {"LinkedIn-Version": api_version, "X-Restli-Protocol-Version": "2.0.0"}
    ids = [a.strip().rsplit(":", 1)[-1] for a in ad_account_ids]
    return campaign_daily_resource(ids, partial(analytics_rows, client, Accounts(client), element_cap),
                                   start_date, lookback_days, window_days, COLUMNS, explain_error)


SOURCE = SourceDeclaration(
    name="linkedin_ads",
    title="LinkedIn Ads",
    dataset=DATASET,
    settings=LinkedInAdsSettings,
    build=lambda config, _: linkedin_ads_source(access_token=config.access_token.get_secret_value(),
                                                ad_account_ids=config.ad_account_ids, base_url=config.base_url,
                                                api_version=config.api_version, start_date=config.start_date,
                                                lookback_days=config.lookback_days),
    default_cron=DEFAULT_CRON,
    test_server="tests.fake_apis.linkedin_ads:FakeLinkedInAds",
)

"""Google Ads: daily cost, impressions, clicks and conversions per campaign of each customer, through the REST
`customers/{id}/googleAds:searchStream` with a GAQL campaign report, into `raw_google_ads.campaign_daily`.

Cost is `cost_micros` (millionths of the customer's currency, `currency`). Every sync re-reads the last
`lookback_days` of each customer (see pipelines/sources/ad_platforms.py), so restated days replace the old ones.
"""

from collections.abc import Sequence
from datetime import date
from functools import partial

import dlt
from dlt.sources.helpers.requests import Client

from pipelines.sources.ad_platforms import DEFAULT_CRON, DEFAULT_LOOKBACK_DAYS, campaign_daily_resource
from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.google_ads.helpers import GoogleAdsAuth, RetryDelayAdapter, campaign_rows, explain_error
from pipelines.sources.google_ads.settings import (
    COLUMNS,
    DATASET,
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    REQUESTS_PER_SECOND,
    WINDOW_DAYS,
    GoogleAdsSettings,
)
from pipelines.sources.rest import retrying_client


def _digits(customer_id: str) -> str:
    return customer_id.replace("-", "").strip()


@dlt.source(name="google_ads", max_table_nesting=0)
def google_ads_source(developer_token: str = dlt.secrets.value, client_id: str = dlt.secrets.value,
                      client_secret: str = dlt.secrets.value, refresh_token: str = dlt.secrets.value,
                      customer_ids: Sequence[str] = dlt.config.value, login_customer_id: str | None = None,
                      base_url: str = DEFAULT_BASE_URL, token_url: str = DEFAULT_TOKEN_URL,
                      start_date: date | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
                      window_days: int = WINDOW_DAYS, max_attempts: int = 6, backoff_factor: float = 1.0,
                      max_retry_delay: float = 60.0, requests_per_second: float | None = REQUESTS_PER_SECOND):
    """Daily campaign performance of each customer id (dashes allowed). With `login_customer_id` (a manager
    account) the customers are reached through it. `start_date` (default two years back) is where each
    customer's first sync starts. Requests go one at a time, at most `requests_per_second`; a 429
    RESOURCE_EXHAUSTED waits the retryDelay Google asks for. Building the source asks nothing: the refresh token
    is exchanged by the sync's first request."""
    client = retrying_client(base_url, None, max_attempts, backoff_factor, max_retry_delay, requests_per_second)
    for scheme in ("http://", "https://"):
        client.session.mount(scheme, RetryDelayAdapter(pool_maxsize=10))
    # The token request is retried on 429 and 5xx like any other; an unreachable token URL is a wrong setting,
    # reported at once.
    token_session = Client(raise_for_status=False, request_max_attempts=max_attempts,
                           request_backoff_factor=backoff_factor, request_max_retry_delay=max_retry_delay,
                           exceptions=[]).session
    client.auth = GoogleAdsAuth(access_token_url=token_url, client_id=client_id, client_secret=client_secret,
                                refresh_token=refresh_token, developer_token=developer_token,
                                login_customer_id=_digits(login_customer_id) if login_customer_id else None,
                                session=token_session)
    return campaign_daily_resource([_digits(c) for c in customer_ids], partial(campaign_rows, client),
                                   start_date, lookback_days, window_days, COLUMNS, explain_error)


def _build(config: GoogleAdsSettings, _settings):
    return google_ads_source(
        developer_token=config.developer_token.get_secret_value(), client_id=config.client_id.get_secret_value(),
        client_secret=config.client_secret.get_secret_value(), refresh_token=config.refresh_token.get_secret_value(),
        customer_ids=config.customer_ids, login_customer_id=config.login_customer_id, base_url=config.base_url,
        token_url=config.token_url, start_date=config.start_date, lookback_days=config.lookback_days)


SOURCE = SourceDeclaration(
    name="google_ads",
    title="Google Ads",
    dataset=DATASET,
    settings=GoogleAdsSettings,
    build=_build,
    default_cron=DEFAULT_CRON,
    test_server="tests.fake_apis.google_ads:FakeGoogleAds",
)

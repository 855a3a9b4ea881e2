"""Google Ads: daily cost, impressions, clicks and conversions per campaign of each customer, through the REST
`customers/{id}/googleAds:searchStream` with a GAQL campaign report, into `raw_google_ads.campaign_daily`.

Cost is `cost_micros` (millionths of the customer's currency, `currency`). Every sync re-reads the last
`lookback_days` of each customer (see pipelines/sources/ad_platforms.py), so restated days replace the old ones.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial

import dlt

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
from pipelines.sources.google_ads.helpers import GoogleAdsAuth, RetryDelayAdapter, campaign_rows, explain_error
from pipelines.sources.google_ads.settings import (
    COLUMNS,
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    REQUIRED,
    WINDOW_DAYS,
)
from pipelines.sources.rest import retrying_client


def _digits(customer_id: str) -> str:
    return customer_id.replace("-", "").strip()


@dlt.source(name="google_ads", max_table_nesting=0)
def google_ads_source(developer_token: str = dlt.secrets.value, client_id: str = dlt.secrets.value,
                      client_secret: str = dlt.secrets.value, refresh_token: str = dlt.secrets.value,
                      customer_ids: Sequence[str] = dlt.config.value, login_customer_id: str | None = None,
                      base_url: str = DEFAULT_BASE_URL, token_url: str = DEFAULT_TOKEN_URL,
                      start_date: date | str | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
                      window_days: int = WINDOW_DAYS, max_attempts: int = 6, backoff_factor: float = 1.0,
                      max_retry_delay: float = 60.0):
    """Daily campaign performance of each customer id (dashes allowed). With `login_customer_id` (a manager
    account) the customers are reached through it. `start_date` (default two years back) is where each
    customer's first sync starts."""
    client = retrying_client(base_url, None, max_attempts, backoff_factor, max_retry_delay)
    for scheme in ("http://", "https://"):
        client.session.mount(scheme, RetryDelayAdapter(pool_maxsize=10))
    client.auth = GoogleAdsAuth(access_token_url=token_url, client_id=client_id, client_secret=client_secret,
                                refresh_token=refresh_token, developer_token=developer_token,
                                login_customer_id=_digits(login_customer_id) if login_customer_id else None,
                                session=client.session)
    return campaign_daily_resource([_digits(c) for c in customer_ids], partial(campaign_rows, client),
                                   as_date(start_date), lookback_days, window_days, COLUMNS,
                                   partial(explain_error, token_url=token_url))


def source_from_env(env: Mapping[str, str]):
    """The source from the GOOGLE_ADS_* variables; None when none of the credentials is set."""
    if not require_all(env, REQUIRED):
        return None
    return google_ads_source(
        developer_token=setting(env, "GOOGLE_ADS_DEVELOPER_TOKEN"), client_id=setting(env, "GOOGLE_ADS_CLIENT_ID"),
        client_secret=setting(env, "GOOGLE_ADS_CLIENT_SECRET"),
        refresh_token=setting(env, "GOOGLE_ADS_REFRESH_TOKEN"),
        customer_ids=id_list(env, "GOOGLE_ADS_CUSTOMER_IDS"),
        login_customer_id=(id_list(env, "GOOGLE_ADS_LOGIN_CUSTOMER_ID")[0]
                           if setting(env, "GOOGLE_ADS_LOGIN_CUSTOMER_ID") else None),
        base_url=setting(env, "GOOGLE_ADS_BASE_URL") or DEFAULT_BASE_URL,
        token_url=setting(env, "GOOGLE_OAUTH_TOKEN_URL") or DEFAULT_TOKEN_URL,
        start_date=start_date_from(env), lookback_days=lookback_days_from(env))

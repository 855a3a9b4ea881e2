"""Meta Marketing API constants (see ../shared/api-formats/README.md, section d); the META_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import IsoDate, SourceSettings
from pipelines.sources.ad_platforms import account_ids, lookback_days_field, start_date_field

DATASET = "raw_meta_ads"
PLATFORM = "meta_ads"
# The Graph API version is part of the base URL: when Meta retires it, META_BASE_URL names the next one.
DEFAULT_BASE_URL = "https://graph.facebook.com/v26.0"
WINDOW_DAYS = 30  # days per insights query: a long range makes Meta answer "reduce the amount of data"
PAGE_SIZE = 500

INSIGHTS_FIELDS = ("account_id", "account_currency", "campaign_id", "campaign_name", "spend", "impressions",
                   "clicks", "inline_link_clicks", "actions", "conversions", "date_start", "date_stop")
LEAD_ACTION = "lead"  # the action type that counts every lead (on-Facebook forms and pixel leads)

# Error codes that mean "too many calls, wait": application (4), user (17), page (32), ad account (613) and the
# business use case limits (80000-80014, 80004 for ads management). They arrive with HTTP 400.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})  # unknown / service errors: retry
TOKEN_CODES = frozenset({102, 190})  # the token expired, was revoked or is invalid
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# Usage headers: each reports percentages of a limit used; the sync slows down past SLOW_DOWN_AT percent.
USAGE_HEADERS = ("X-App-Usage", "X-Ad-Account-Usage", "X-Business-Use-Case-Usage", "X-FB-Ads-Insights-Throttle")
SLOW_DOWN_AT = 75.0

COLUMNS = {
    "spend": {"data_type": "double"},
    "inline_link_clicks": {"data_type": "bigint"},
    "leads": {"data_type": "double"},
    "conversions": {"data_type": "double"},
    "actions": {"data_type": "json"},
}



class MetaAdsSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="META_")
    requires = (("access_token", "ad_account_ids"),)

    access_token: SecretStr | None = Field(None, description="Marketing API access token with ads_read (a system "
                                                             "user token does not expire)")
    ad_account_ids: account_ids(r"\s|act_") = Field(None, description="ad account ids to sync, comma-separated, "
                                                                      "with or without act_")
    base_url: str = Field(DEFAULT_BASE_URL, description="Graph API base URL, with the API version")
    start_date: IsoDate | None = start_date_field()
    lookback_days: int = lookback_days_field()

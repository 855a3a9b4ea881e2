"""Google Ads API constants (see ../shared/api-formats/README.md, section e); the GOOGLE_ADS_* variables."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import IsoDate, SourceSettings
from pipelines.sources.ad_platforms import account_ids, lookback_days_field, start_date_field

DATASET = "raw_google_ads"
PLATFORM = "google_ads"
# The API version is part of the base URL: when Google sunsets it, GOOGLE_ADS_BASE_URL names the next one.
DEFAULT_BASE_URL = "https://googleads.googleapis.com/v25"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
WINDOW_DAYS = 30  # days per searchStream request: one response holds every row of its window
# Google meters requests per customer and per developer token at a rate it does not publish (it varies with load)
# and refuses the excess with 429 RESOURCE_EXHAUSTED; its rate-limit guide asks clients to throttle their QPS. The
# sync sends one request at a time, at most this many a second: the one rate the API documents (Planning
# services, 1 QPS; developers.google.com/google-ads/api/docs/best-practices/quotas). A customer's two years are 25
# requests, a daily sync's lookback one or two.
REQUESTS_PER_SECOND = 1.0

# One row per campaign and day. Zero-impression days are not returned by the API.
GAQL = """SELECT segments.date, customer.id, customer.currency_code, campaign.id, campaign.name,
  metrics.cost_micros, metrics.clicks, metrics.impressions, metrics.conversions, metrics.conversions_value
FROM campaign
WHERE segments.date BETWEEN '{first}' AND '{last}'"""

COLUMNS = {
    "cost_micros": {"data_type": "bigint"},
    "conversions": {"data_type": "double"},
    "conversions_value": {"data_type": "double"},
}



def _customer_id(value: Any) -> Any:
    """One customer id, dashes allowed (123-456-7890)."""
    if not isinstance(value, str):
        return value
    digits = value.replace("-", "").strip()
    if not digits.isdigit():
        raise ValueError("is not a customer id (10 digits, dashes allowed)")
    return digits


class GoogleAdsSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="GOOGLE_ADS_")
    requires = (("developer_token", "client_id", "client_secret", "refresh_token", "customer_ids"),)

    developer_token: SecretStr | None = Field(None, description="developer token of the Google Ads API Center "
                                                                "(Basic access or more)")
    client_id: SecretStr | None = Field(None, description="OAuth client id (Google Cloud, type Desktop or Web)")
    client_secret: SecretStr | None = Field(None, description="OAuth client secret")
    refresh_token: SecretStr | None = Field(None, description="OAuth refresh token of a user with access to the "
                                                              "accounts (scope adwords), exchanged at each sync")
    customer_ids: account_ids() = Field(None, description="customer ids to sync, comma-separated (dashes allowed: "
                                                          "123-456-7890)")
    login_customer_id: Annotated[str | None, BeforeValidator(_customer_id)] = Field(
        None, description="manager account id, when access to the customers is through it")
    base_url: str = Field(DEFAULT_BASE_URL, description="Google Ads REST base URL, with the API version")
    token_url: str = Field(DEFAULT_TOKEN_URL, validation_alias="GOOGLE_OAUTH_TOKEN_URL",
                           description="OAuth token endpoint")
    start_date: IsoDate | None = start_date_field()
    lookback_days: int = lookback_days_field()

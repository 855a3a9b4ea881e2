"""LinkedIn Marketing API constants (see ../shared/api-formats/README.md, section f); the LINKEDIN_* variables."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import IsoDate, SourceSettings
from pipelines.sources.ad_platforms import account_ids, lookback_days_field, start_date_field

DATASET = "raw_linkedin_ads"
PLATFORM = "linkedin_ads"
DEFAULT_BASE_URL = "https://api.linkedin.com/rest"
# Versions are monthly (YYYYMM), each served for at least a year; a retired one is answered with HTTP 426.
DEFAULT_API_VERSION = "202607"
# adAnalytics has no paging and answers at most ELEMENT_CAP elements (campaigns x days): a window that reaches
# the cap is split in two and asked again.
WINDOW_DAYS = 30
ELEMENT_CAP = 15_000
CAMPAIGN_PAGE_SIZE = 100
# LinkedIn's limits are per day (per application and per member, for each endpoint, shown in the Developer
# Portal), answered with 429 and no Retry-After, which it also sends "as part of infrastructure protection"; it
# publishes no per-second rate. The sync sends one request at a time, at most this many a second: an account's
# first sync (two years: 25 adAnalytics windows, its account and campaigns) takes half a minute, a daily one a few
# seconds, and no burst reaches the infrastructure protection.
REQUESTS_PER_SECOND = 1.0
ANALYTICS_FIELDS = ("dateRange", "pivotValues", "impressions", "clicks", "costInLocalCurrency", "costInUsd",
                    "landingPageClicks", "externalWebsiteConversions", "oneClickLeads")
# Every status, so that the names of ended and removed campaigns are known too.
CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "COMPLETED", "CANCELED", "DRAFT", "PENDING_DELETION",
                     "REMOVED")

COLUMNS = {
    "cost_in_local_currency": {"data_type": "double"},
    "cost_in_usd": {"data_type": "double"},
    "landing_page_clicks": {"data_type": "bigint"},
    "external_website_conversions": {"data_type": "bigint"},
    "one_click_leads": {"data_type": "bigint"},
}



def _version(value: str) -> str:
    if not re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])", value):
        raise ValueError("is not a LinkedIn API version (YYYYMM, e.g. 202607)")
    return value


class LinkedInAdsSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="LINKEDIN_")
    requires = (("access_token", "ad_account_ids"),)

    access_token: SecretStr | None = Field(None, description="OAuth access token with r_ads_reporting and r_ads "
                                                             "(it expires after 60 days)")
    ad_account_ids: account_ids(r"\s|urn:li:sponsoredAccount:") = Field(
        None, description="ad account ids to sync, comma-separated (Campaign Manager → Account)")
    base_url: str = Field(DEFAULT_BASE_URL, description="LinkedIn REST base URL")
    api_version: Annotated[str, AfterValidator(_version)] = Field(DEFAULT_API_VERSION,
                                                                  description="LinkedIn-Version header (YYYYMM)")
    start_date: IsoDate | None = start_date_field()
    lookback_days: int = lookback_days_field()

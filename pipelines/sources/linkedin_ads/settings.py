"""LinkedIn Marketing API constants (see ../shared/api-formats/README.md, section f)."""

from pipelines.sources.ad_platforms import COMMON_VARIABLES, DEFAULT_CRON

NAME = "linkedin_ads"
DATASET = "raw_linkedin_ads"
PLATFORM = "linkedin_ads"
SCHEDULE_CRON = DEFAULT_CRON
DEFAULT_BASE_URL = "https://api.linkedin.com/rest"
# Versions are monthly (YYYYMM), each served for at least a year; a retired one is answered with HTTP 426.
DEFAULT_API_VERSION = "202607"
# adAnalytics has no paging and answers at most ELEMENT_CAP elements (campaigns x days): a window that reaches
# the cap is split in two and asked again.
WINDOW_DAYS = 30
ELEMENT_CAP = 15_000
CAMPAIGN_PAGE_SIZE = 100
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

VARIABLES = (  # (name, description, default, secret, required)
    ("LINKEDIN_ACCESS_TOKEN", "OAuth access token with r_ads_reporting and r_ads", None, True, True),
    ("LINKEDIN_AD_ACCOUNT_IDS", "comma-separated ad account ids (Campaign Manager → Account)", None, False, True),
    ("LINKEDIN_BASE_URL", "LinkedIn REST base URL", DEFAULT_BASE_URL, False, False),
    ("LINKEDIN_API_VERSION", "LinkedIn-Version header (YYYYMM)", DEFAULT_API_VERSION, False, False),
    ("LINKEDIN_SCHEDULE_CRON", "cron of the LinkedIn sync", SCHEDULE_CRON, False, False),
    *COMMON_VARIABLES,
)
REQUIRED = tuple(name for name, _, _, _, required in VARIABLES if required)

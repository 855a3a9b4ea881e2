"""Google Ads API constants (see ../shared/api-formats/README.md, section e)."""

from pipelines.sources.ad_platforms import COMMON_VARIABLES, DEFAULT_CRON

NAME = "google_ads"
DATASET = "raw_google_ads"
PLATFORM = "google_ads"
SCHEDULE_CRON = DEFAULT_CRON
# The API version is part of the base URL: when Google sunsets it, GOOGLE_ADS_BASE_URL names the next one.
DEFAULT_BASE_URL = "https://googleads.googleapis.com/v25"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
WINDOW_DAYS = 30  # days per searchStream request: one response holds every row of its window

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

VARIABLES = (  # (name, description, default, secret, required)
    ("GOOGLE_ADS_DEVELOPER_TOKEN", "developer token of the Google Ads API Center (Basic access or more)", None, True,
     True),
    ("GOOGLE_ADS_CLIENT_ID", "OAuth client id (Google Cloud, type Desktop or Web)", None, True, True),
    ("GOOGLE_ADS_CLIENT_SECRET", "OAuth client secret", None, True, True),
    ("GOOGLE_ADS_REFRESH_TOKEN", "OAuth refresh token of a user with access to the accounts (scope adwords)", None,
     True, True),
    ("GOOGLE_ADS_CUSTOMER_IDS", "comma-separated customer ids to sync (dashes allowed: 123-456-7890)", None, False,
     True),
    ("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "manager account id, when access to the customers is through it", None, False,
     False),
    ("GOOGLE_ADS_BASE_URL", "Google Ads REST base URL, with the API version", DEFAULT_BASE_URL, False, False),
    ("GOOGLE_OAUTH_TOKEN_URL", "OAuth token endpoint", DEFAULT_TOKEN_URL, False, False),
    ("GOOGLE_ADS_SCHEDULE_CRON", "cron of the Google Ads sync", SCHEDULE_CRON, False, False),
    *COMMON_VARIABLES,
)
REQUIRED = tuple(name for name, _, _, _, required in VARIABLES if required)

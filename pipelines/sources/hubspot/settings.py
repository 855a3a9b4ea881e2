"""HubSpot CRM v3 constants: endpoints, properties, keys (see ../shared/api-formats/README.md, section a); the
HUBSPOT_* variables."""

from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode, SettingsConfigDict

from pipelines.config import SourceSettings

DEFAULT_BASE_URL = "https://api.hubapi.com"
DATASET = "raw_hubspot"

# The property each object's search filters and sorts on for incremental syncs.
LAST_MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}

PROPERTIES = {
    "contacts": [
        "email", "createdate", "lastmodifieddate", "lifecyclestage", "associatedcompanyid", "country", "industry",
        "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_lifecyclestage_salesqualifiedlead_date", "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date", "hs_analytics_source", "hs_analytics_source_data_1",
        "hs_analytics_source_data_2", "hs_merged_object_ids",
    ],
    "companies": ["name", "domain", "country", "industry", "numberofemployees", "createdate", "hs_lastmodifieddate"],
    "deals": [
        "dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate", "createdate",
        "hs_lastmodifieddate", "hs_is_closed_won", "dealtype",
    ],
}

# Deals are read with their contacts and companies (v4 batch associations).
DEAL_ASSOCIATIONS = ("contacts", "companies")

SEARCH_PAGE_SIZE = 100  # the documented maximum per search page is 100 or 200 depending on the source; 100 is safe
SEARCH_RESULT_CAP = 10_000  # a search stops paging past this many results: windows are split below it
ASSOCIATION_BATCH = 100
TOKEN_VARIABLE = "HUBSPOT_ACCESS_TOKEN"
REQUIRED_SCOPES = ("crm.objects.contacts.read", "crm.objects.companies.read", "crm.objects.deals.read")
# The search endpoint allows 4 requests per second per token (HubSpot changelog); the sync stays under it.
REQUESTS_PER_SECOND = 4.0


def _comma_separated(value):
    return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


class HubSpotSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="HUBSPOT_")
    requires = (("access_token",),)

    access_token: SecretStr | None = Field(None, description="private app token (Settings > Integrations > Private "
                                                             f"Apps) with the scopes {', '.join(REQUIRED_SCOPES)}")
    base_url: str = Field(DEFAULT_BASE_URL, description="API base URL (sandbox, proxy)")
    extra_properties: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)] = Field(
        (), description="custom properties to load as well, comma-separated")
    lookback_minutes: float = Field(60.0, ge=0, description="how far before the last cursor an incremental sync "
                                                            "starts again (late-indexed records)")

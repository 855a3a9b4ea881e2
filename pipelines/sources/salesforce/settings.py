"""Salesforce REST constants (see ../shared/api-formats/README.md, section c); the SALESFORCE_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import SourceSettings

DATASET = "raw_salesforce"
API_VERSION = "v59.0"
CURSOR_FIELD = "SystemModstamp"  # changes on every modification, system ones included
TOKEN_VARIABLES = "SALESFORCE_ACCESS_TOKEN (or SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET)"

# Object -> (table, fields). CurrencyIsoCode is added where the org has it (multi-currency orgs only).
OBJECTS = {
    "Opportunity": ("opportunities", ["Id", "Name", "AccountId", "Amount", "CloseDate", "StageName", "IsClosed",
                                      "IsWon", "Type", "LeadSource", "CampaignId", "CreatedDate"]),
    "Account": ("accounts", ["Id", "Name", "BillingCountry", "Industry", "NumberOfEmployees", "CreatedDate"]),
    "Contact": ("contacts", ["Id", "AccountId", "Email", "LeadSource", "MailingCountry", "CreatedDate"]),
    "Lead": ("leads", ["Id", "Email", "Company", "Country", "Industry", "LeadSource", "IsConverted",
                       "ConvertedDate", "ConvertedContactId", "ConvertedAccountId", "CreatedDate"]),
    "OpportunityContactRole": ("opportunity_contact_roles", ["Id", "OpportunityId", "ContactId", "IsPrimary",
                                                             "CreatedDate"]),
    "Campaign": ("campaigns", ["Id", "Name", "Type", "CreatedDate"]),
    "CampaignMember": ("campaign_members", ["Id", "CampaignId", "ContactId", "LeadId", "FirstRespondedDate",
                                            "CreatedDate"]),
}
MULTI_CURRENCY_OBJECTS = ("Opportunity",)


class SalesforceSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESFORCE_")
    requires = (("instance_url", "access_token"), ("instance_url", "client_id", "client_secret"))

    instance_url: str | None = Field(None, description="the org's URL, `https://<org>.my.salesforce.com`")
    access_token: SecretStr | None = Field(None, description="an OAuth access token")
    client_id: SecretStr | None = Field(None, description="connected app client id, instead of an access token: "
                                                          "client-credentials flow")
    client_secret: SecretStr | None = Field(None, description="connected app client secret")
    refresh_token: SecretStr | None = Field(None, description="with the client id and secret: refresh-token flow "
                                                              "instead")
    token_url: str | None = Field(None, json_schema_extra={"shown_default": "<instance URL>/services/oauth2/token"},
                                  description="OAuth token endpoint")
    lookback_minutes: float = Field(60.0, ge=0, description="how far before the last cursor an incremental sync "
                                                            "starts again")

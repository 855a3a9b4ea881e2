"""Salesforce REST constants (see ../shared/api-formats/README.md, section c)."""

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

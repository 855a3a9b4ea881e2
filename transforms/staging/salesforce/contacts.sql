-- key: contact_id
-- required: created_at
-- staging.salesforce_contacts: (Salesforce) one row per Contact that is not deleted, plus one per Lead not converted
-- yet (a lead is a person before it has a contact). A contact converted from a lead is a lead from the lead's
-- creation. company_id is the contact's Account when that Account is not deleted, else NULL. Salesforce records no
-- MQL, SQL or opportunity date of a person (its opportunities are deals).
with contacts as (
    select * from raw_salesforce.contacts
    where not coalesce(is_deleted, false)
),

leads as (
    select * from raw_salesforce.leads
    where not coalesce(is_deleted, false)
),

converted_leads as (
    select converted_contact_id as contact_id, min(parse_utc(created_date)) as lead_at,
        first(lead_source order by created_date) as lead_source
    from leads
    where is_converted and converted_contact_id is not null
    group by converted_contact_id
),

from_contacts as (
    select
        'salesforce' as source_system,
        contacts.id as contact_id,
        salesforce_accounts.account_id as company_id,
        lower(contacts.email) as email,
        cast(null as varchar) as lifecycle_stage,
        parse_utc(contacts.created_date) as created_at,
        converted_leads.lead_at,
        cast(null as timestamp) as mql_at,
        cast(null as timestamp) as sql_at,
        cast(null as timestamp) as opportunity_at,
        cast(null as timestamp) as customer_at,
        nullif(coalesce(converted_leads.lead_source, contacts.lead_source), '') as original_channel,
        cast(null as varchar) as original_campaign_id,
        upper(contacts.mailing_country) as country,
        cast(null as varchar) as industry,
        cast(null as varchar) as company_size,
        contacts.updated_at
    from contacts
    left join converted_leads on converted_leads.contact_id = contacts.id
    left join staging.salesforce_accounts on salesforce_accounts.account_id = contacts.account_id
),

from_leads as (
    select
        'salesforce' as source_system,
        id as contact_id,
        cast(null as varchar) as company_id,
        lower(email) as email,
        'lead' as lifecycle_stage,
        parse_utc(created_date) as created_at,
        cast(null as timestamp) as lead_at,
        cast(null as timestamp) as mql_at,
        cast(null as timestamp) as sql_at,
        cast(null as timestamp) as opportunity_at,
        cast(null as timestamp) as customer_at,
        nullif(lead_source, '') as original_channel,
        cast(null as varchar) as original_campaign_id,
        upper(country) as country,
        lower(industry) as industry,
        cast(null as varchar) as company_size,
        updated_at
    from leads
    where not coalesce(is_converted, false)
)

select * from from_contacts
union all by name
select * from from_leads

-- key: contact_id
-- required: created_at
-- staging.hubspot_contacts: (HubSpot) one row per live contact. Archived and merged-away contacts are left out
-- (a merged contact lives on as the contact that absorbed it). company_id is the contact's company
-- (associatedcompanyid) when that company is live, else NULL. HubSpot sends every property as a string. Each
-- lifecycle stage's date is its hs_lifecyclestage_<stage>_date property.
with source as (
    select * from raw_hubspot.contacts
    where not coalesce(archived, false)
),

merged_away as (
    select unnest(string_split(hs_merged_object_ids, ';')) as contact_id
    from source
    where nullif(hs_merged_object_ids, '') is not null
),

renamed as (
    select
        'hubspot' as source_system,
        source.id as contact_id,
        hubspot_accounts.account_id as company_id,
        lower(source.email) as email,
        lower(source.lifecyclestage) as lifecycle_stage,
        parse_utc(source.createdate) as created_at,
        parse_utc(source.hs_lifecyclestage_lead_date) as lead_at,
        parse_utc(source.hs_lifecyclestage_marketingqualifiedlead_date) as mql_at,
        parse_utc(source.hs_lifecyclestage_salesqualifiedlead_date) as sql_at,
        parse_utc(source.hs_lifecyclestage_opportunity_date) as opportunity_at,
        parse_utc(source.hs_lifecyclestage_customer_date) as customer_at,
        nullif(source.hs_analytics_source, '') as original_channel,
        nullif(source.hs_analytics_source_data_2, '') as original_campaign_id,
        upper(source.country) as country,
        lower(source.industry) as industry,
        cast(null as varchar) as company_size,
        source.updated_at
    from source
    left join staging.hubspot_accounts on hubspot_accounts.account_id = nullif(source.associatedcompanyid, '')
    where not exists (select 1 from merged_away where merged_away.contact_id = source.id)
)

select * from renamed

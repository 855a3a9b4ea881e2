-- staging.hubspot_contacts: (HubSpot) one row per live contact. Archived and merged-away contacts are left out
-- (a merged contact lives on as the contact that absorbed it). HubSpot sends every property as a string.
with source as (
    select * from raw_hubspot.contacts
    where not coalesce(archived, false)
),

renamed as (
    select
        'hubspot' as source_system,
        id as contact_id,
        nullif(associatedcompanyid, '') as company_id,
        lower(email) as email,
        lower(lifecyclestage) as lifecycle_stage,
        timezone('UTC', try_cast(createdate as timestamptz)) as created_at,
        timezone('UTC', try_cast(hs_lifecyclestage_lead_date as timestamptz)) as lead_at,
        timezone('UTC', try_cast(hs_lifecyclestage_customer_date as timestamptz)) as customer_at,
        nullif(regexp_replace(lower(trim(hs_analytics_source)), '[^a-z0-9]+', '_', 'g'), '') as original_channel,
        nullif(hs_analytics_source_data_2, '') as original_campaign_id,
        upper(country) as country,
        lower(industry) as industry,
        cast(null as varchar) as company_size,
        updated_at
    from source
)

select * from renamed

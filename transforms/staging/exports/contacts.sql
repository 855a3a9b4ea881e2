-- key: contact_id
-- required: created_at
-- staging.exports_contacts: (generic exports) one row per contact (a person in the CRM).
-- Timestamps are UTC; original_channel is as the export gives it (staging.contacts maps it onto our channels).
-- mql_at, sql_at and opportunity_at are the dates the contact reached those lifecycle stages, when the export
-- records them.
with source as (
    select * from raw_exports.contacts
),

renamed as (
    select
        'exports' as source_system,
        cast(contact_id as varchar) as contact_id,
        cast(company_id as varchar) as company_id,
        lower(email) as email,
        lower(lifecycle_stage) as lifecycle_stage,
        created_at,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at,
        original_channel,
        cast(original_campaign_id as varchar) as original_campaign_id,
        upper(country) as country,
        lower(industry) as industry,
        company_size,
        updated_at
    from source
)

select * from renamed

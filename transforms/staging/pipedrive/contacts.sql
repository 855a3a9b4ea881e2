-- staging.pipedrive_contacts: (Pipedrive) one row per person; the primary email is the first of `emails`.
with source as (
    select * from raw_pipedrive.persons
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(id as varchar) as contact_id,
        cast(org_id as varchar) as company_id,
        lower(json_extract_string(emails, '$[0].value')) as email,
        cast(null as varchar) as lifecycle_stage,
        timezone('UTC', try_cast(add_time as timestamptz)) as created_at,
        cast(null as timestamp) as lead_at,
        cast(null as timestamp) as customer_at,
        cast(null as varchar) as original_channel,
        cast(null as varchar) as original_campaign_id,
        cast(null as varchar) as country,
        cast(null as varchar) as industry,
        cast(null as varchar) as company_size,
        updated_at
    from source
)

select * from renamed

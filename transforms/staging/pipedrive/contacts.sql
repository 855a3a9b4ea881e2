-- key: contact_id
-- required: created_at
-- staging.pipedrive_contacts: (Pipedrive) one row per person; the primary email is the first of `emails`.
-- company_id is the person's organization when Pipedrive still lists it (it lists no deleted one), else NULL.
-- Pipedrive records no lifecycle stage dates of a person.
with source as (
    select * from raw_pipedrive.persons
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(source.id as varchar) as contact_id,
        pipedrive_accounts.account_id as company_id,
        lower(json_extract_string(source.emails, '$[0].value')) as email,
        cast(null as varchar) as lifecycle_stage,
        parse_utc(source.add_time) as created_at,
        cast(null as timestamp) as lead_at,
        cast(null as timestamp) as mql_at,
        cast(null as timestamp) as sql_at,
        cast(null as timestamp) as opportunity_at,
        cast(null as timestamp) as customer_at,
        cast(null as varchar) as original_channel,
        cast(null as varchar) as original_campaign_id,
        cast(null as varchar) as country,
        cast(null as varchar) as industry,
        cast(null as varchar) as company_size,
        source.updated_at
    from source
    left join staging.pipedrive_accounts on pipedrive_accounts.account_id = cast(source.org_id as varchar)
)

select * from renamed

-- key: account_id
-- staging.hubspot_accounts: (HubSpot) one row per live company.
with source as (
    select * from raw_hubspot.companies
    where not coalesce(archived, false)
),

renamed as (
    select
        'hubspot' as source_system,
        id as account_id,
        name as account_name,
        upper(country) as country,
        lower(industry) as industry,
        try_cast(numberofemployees as bigint) as employees,
        parse_utc(createdate) as created_at,
        updated_at
    from source
)

select * from renamed

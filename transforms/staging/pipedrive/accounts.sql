-- key: account_id
-- staging.pipedrive_accounts: (Pipedrive) one row per organization.
with source as (
    select * from raw_pipedrive.organizations
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(id as varchar) as account_id,
        name as account_name,
        cast(null as varchar) as country,
        cast(null as varchar) as industry,
        cast(null as bigint) as employees,
        parse_utc(add_time) as created_at,
        updated_at
    from source
)

select * from renamed

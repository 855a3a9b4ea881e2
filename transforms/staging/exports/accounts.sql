-- key: account_id
-- staging.exports_accounts: (generic exports) one row per company (account).
with source as (
    select * from raw_exports.companies
),

renamed as (
    select
        'exports' as source_system,
        cast(company_id as varchar) as account_id,
        name as account_name,
        upper(country) as country,
        lower(industry) as industry,
        cast(employees as bigint) as employees,
        created_at,
        updated_at
    from source
)

select * from renamed

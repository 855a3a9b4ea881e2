-- key: account_id
-- staging.salesforce_accounts: (Salesforce) one row per Account that is not deleted.
with source as (
    select * from raw_salesforce.accounts
    where not coalesce(is_deleted, false)
),

renamed as (
    select
        'salesforce' as source_system,
        id as account_id,
        name as account_name,
        upper(billing_country) as country,
        lower(industry) as industry,
        cast(number_of_employees as bigint) as employees,
        parse_utc(created_date) as created_at,
        updated_at
    from source
)

select * from renamed

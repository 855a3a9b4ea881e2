-- staging.exports_deals: (generic exports) one row per deal (opportunity), amount in the deal's own currency.
-- The account is the company, or the contact when the deal has no company (METRICS: Customers and leads).
with source as (
    select * from raw_exports.deals
),

renamed as (
    select
        'exports' as source_system,
        cast(deal_id as varchar) as deal_id,
        cast(company_id as varchar) as company_id,
        cast(contact_id as varchar) as contact_id,
        coalesce(cast(company_id as varchar), 'contact:' || contact_id) as account_id,
        lower(status) as status,
        lower(deal_type) as deal_type,
        created_at,
        closed_at,
        amount,
        upper(currency) as currency,
        contract_start,
        contract_end,
        pipeline,
        stage,
        updated_at
    from source
)

select * from renamed

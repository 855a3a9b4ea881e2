-- staging.exports_orders: (generic exports) one row per order or invoice of a transactional customer, in the order's own currency.
with source as (
    select * from raw_exports.orders
),

renamed as (
    select
        'exports' as source_system,
        cast(order_id as varchar) as order_id,
        cast(contact_id as varchar) as contact_id,
        cast(company_id as varchar) as company_id,
        coalesce(cast(company_id as varchar), 'contact:' || contact_id) as account_id,
        ordered_at,
        amount,
        upper(currency) as currency
    from source
)

select * from renamed

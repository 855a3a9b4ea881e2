-- key: order_id
-- required: ordered_at, amount, currency
-- staging.exports_orders: (generic exports) one row per order or invoice of a transactional customer, in the
-- order's own currency; a negative amount is a refund or credit note. Its company and contact are live, as for deals.
with source as (
    select * from raw_exports.orders
),

renamed as (
    select
        'exports' as source_system,
        cast(order_id as varchar) as order_id,
        cast(contact_id as varchar) as contact_id,
        cast(company_id as varchar) as company_id,
        ordered_at,
        amount,
        upper(currency) as currency
    from source
)

select * from renamed

-- key: source_system, rate_date, base_currency, quote_currency
-- required: rate
-- staging.exports_fx: (generic exports) one row per day and currency pair: one base_currency is worth `rate` quote_currency (ECB style).
with source as (
    select * from raw_exports.fx_rates
),

renamed as (
    select
        'exports' as source_system,
        "date" as rate_date,
        upper(base) as base_currency,
        upper(quote) as quote_currency,
        rate
    from source
)

select * from renamed

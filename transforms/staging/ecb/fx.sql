-- key: source_system, rate_date, base_currency, quote_currency
-- required: rate
-- staging.ecb_fx: (ECB reference rates, FX_RATES_FILE) one row per day and currency the ECB quoted: one euro is
-- worth `rate` quote_currency.
with source as (
    select * from raw_ecb.reference_rates
),

renamed as (
    select
        'ecb' as source_system,
        "date" as rate_date,
        'EUR' as base_currency,
        upper(currency) as quote_currency,
        rate
    from source
)

select * from renamed

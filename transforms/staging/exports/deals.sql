-- key: deal_id
-- required: status, created_at
-- staging.exports_deals: (generic exports) one row per deal (opportunity), amount in the deal's own currency, with
-- its company and contact as exported. The exports hold no archived, deleted or merged records, so every company and
-- contact they name is live, listed in companies.csv and contacts.csv or not (intermediate.account_map gives the
-- deal its account).
with source as (
    select * from raw_exports.deals
),

renamed as (
    select
        'exports' as source_system,
        cast(deal_id as varchar) as deal_id,
        cast(company_id as varchar) as company_id,
        cast(contact_id as varchar) as contact_id,
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

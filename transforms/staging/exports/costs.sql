-- key: cost_id
-- required: start_date, end_date, team, category, amount, currency
-- staging.exports_costs: (generic exports) one row per line of the sales and marketing cost ledger (salaries, commissions, tools,
-- agencies, overhead), covering start_date to end_date inclusive, in the line's own currency.
with source as (
    select * from raw_exports.costs
),

renamed as (
    select
        'exports' as source_system,
        cast(cost_id as varchar) as cost_id,
        start_date,
        end_date,
        lower(team) as team,
        lower(category) as category,
        amount,
        upper(currency) as currency,
        description
    from source
)

select * from renamed

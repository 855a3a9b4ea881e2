-- intermediate.sm_costs_daily: one row per day and cost item — sales and marketing cost (METRICS: CAC).
-- Paid media spend is one row per campaign and day; every cost ledger line is spread pro rata over its days
-- (start_date to end_date inclusive), so any period grain sums exactly. amount_reporting uses that day's rate;
-- NULL (fx_missing) when the currency has none: such rows are left out of totals and flagged.
-- columns:
--   amount: the day's cost in its own currency (a ledger line's amount spread evenly over its days)
--   currency: the currency of amount (ISO 4217)
--   amount_reporting: amount in the reporting currency at the rate of cost_date; NULL without a rate
--   fx_missing: amount_reporting is NULL: the row is left out of every total and named by a check
with paid_media as (
    select
        spend_date as cost_date,
        'paid_media' as cost_type,
        'spend:' || platform || ':' || campaign_id as cost_item,
        'marketing' as team,
        'paid_media' as category,
        channel,
        platform,
        campaign_id,
        spend as amount,
        currency
    from staging.spend
),

ledger_days as (
    select
        cast(unnest(generate_series(start_date, end_date, interval 1 day)) as date) as cost_date,
        'other' as cost_type,
        'cost:' || cost_id as cost_item,
        team,
        category,
        cast(null as varchar) as channel,
        cast(null as varchar) as platform,
        cast(null as varchar) as campaign_id,
        amount / (datediff('day', start_date, end_date) + 1) as amount,
        currency
    from staging.costs
),

items as (
    select * from paid_media
    union all
    select * from ledger_days
)

select
    items.*,
    to_reporting(items.amount, items.currency, fx_daily.rate_to_reporting) as amount_reporting,
    to_reporting(items.amount, items.currency, fx_daily.rate_to_reporting) is null as fx_missing
from items
left join intermediate.fx_daily
    on fx_daily.currency = items.currency
    and fx_daily.rate_date = items.cost_date

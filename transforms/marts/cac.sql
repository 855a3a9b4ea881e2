-- marts.cac: one row per period (period_grain, period_start): customer acquisition cost (METRICS: CAC).
-- A period with no cost data (no spend and no ledger line covers any of its days) has NULL costs and ratios,
-- never 0, and cac_null_reason 'no_cost_data'.
-- columns:
--   paid_spend: paid media spend in the period, reporting currency; NULL when the period has no cost data
--   other_sm_cost: every other sales and marketing cost of the ledger in the period, spread pro rata over days;
--     NULL when the period has no cost data
--   sm_cost: sales and marketing cost = paid_spend + other_sm_cost; NULL when the period has no cost data
--   new_customers: accounts whose first-ever win (else first order, else CRM customer date) falls in the period
--   new_leads: contacts that became leads in the period
--   cac: fully loaded CAC = sm_cost / new_customers; NULL when there are no new customers or no cost data
--   paid_cac: paid_spend / new_customers; NULL when there are no new customers or no cost data
--   cpl: cost per lead = paid_spend / new_leads; NULL when there are no new leads or no cost data
--   cac_null_reason: why cac is NULL: 'no_cost_data' (no spend and no ledger line covers the period) or
--     'no_new_customers'; NULL when cac is defined
--   unconverted_cost_items: cost rows left out of the totals because their currency has no FX rate
with costs_by_period as (
    select
        calendar.period_grain,
        calendar.period_start,
        -- An amount that is not a finite number (NaN, infinity) is left out, like one without an FX rate; the
        -- amounts_are_numbers check names it.
        exact_sum(case when cost_type = 'paid_media' then amount_reporting end) as paid_spend,
        exact_sum(case when cost_type = 'other' then amount_reporting end) as other_sm_cost,
        count(*) filter (where fx_missing) as unconverted_cost_items
    from intermediate.sm_costs_daily
    inner join intermediate.calendar on calendar.day = sm_costs_daily.cost_date
    group by all
),

joined as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        -- A period without a single cost row has no cost data: its costs are unknown, not zero.
        case when costs_by_period.period_start is not null then coalesce(costs_by_period.paid_spend, 0) end
            as paid_spend,
        case when costs_by_period.period_start is not null then coalesce(costs_by_period.other_sm_cost, 0) end
            as other_sm_cost,
        case when costs_by_period.period_start is not null
            then coalesce(costs_by_period.paid_spend, 0) + coalesce(costs_by_period.other_sm_cost, 0) end as sm_cost,
        periods.new_customers,
        periods.new_leads,
        coalesce(costs_by_period.unconverted_cost_items, 0) as unconverted_cost_items
    from intermediate.period_acquisitions as periods
    left join costs_by_period using (period_grain, period_start)
)

select
    period_grain,
    period_start,
    period_end,
    paid_spend,
    other_sm_cost,
    sm_cost,
    new_customers,
    new_leads,
    safe_divide(sm_cost, new_customers) as cac,
    safe_divide(paid_spend, new_customers) as paid_cac,
    safe_divide(paid_spend, new_leads) as cpl,
    case when sm_cost is null then 'no_cost_data' when new_customers = 0 then 'no_new_customers' end
        as cac_null_reason,
    unconverted_cost_items
from joined
order by period_grain, period_start

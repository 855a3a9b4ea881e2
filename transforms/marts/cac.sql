-- marts.cac: one row per period (period_grain, period_start): customer acquisition cost (METRICS: CAC).
-- columns:
--   paid_spend: paid media spend in the period, reporting currency
--   other_sm_cost: every other sales and marketing cost of the ledger in the period, spread pro rata over days
--   sm_cost: sales and marketing cost = paid_spend + other_sm_cost
--   new_customers: accounts whose first-ever win (else first order, else CRM customer date) falls in the period
--   new_leads: contacts that became leads in the period
--   cac: fully loaded CAC = sm_cost / new_customers; NULL when there are no new customers
--   paid_cac: paid_spend / new_customers; NULL when there are no new customers
--   cpl: cost per lead = paid_spend / new_leads; NULL when there are no new leads
--   unconverted_cost_items: cost rows left out of the totals because their currency has no FX rate
with costs_by_period as (
    select
        calendar.period_grain,
        calendar.period_start,
        sum(amount_reporting) filter (where cost_type = 'paid_media') as paid_spend,
        sum(amount_reporting) filter (where cost_type = 'other') as other_sm_cost,
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
        coalesce(costs_by_period.paid_spend, 0) as paid_spend,
        coalesce(costs_by_period.other_sm_cost, 0) as other_sm_cost,
        coalesce(costs_by_period.paid_spend, 0) + coalesce(costs_by_period.other_sm_cost, 0) as sm_cost,
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
    unconverted_cost_items
from joined
order by period_grain, period_start

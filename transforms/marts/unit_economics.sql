-- marts.unit_economics: one row per period: CAC against LTV, payback, and their status against the targets
-- (METRICS: LTV, CAC). LTV here is the formula LTV of the period: ARPA x gross margin / monthly churn rate,
-- with ARPA and churn measured over the period's active account-months. The cohort LTV:CAC compare the realized
-- LTV of the accounts acquired in the period (marts.ltv) with their CAC. An undefined number is NULL and its
-- status 'unknown', never on target.
-- columns:
--   paid_spend: paid media spend (from marts.cac); NULL when the period has no cost data
--   sm_cost: sales and marketing cost, paid spend included (from marts.cac); NULL when the period has no cost data
--   new_customers: accounts acquired in the period
--   cac: sm_cost / new_customers; NULL when there are no new customers or no cost data
--   cac_null_reason: why cac is NULL: 'no_cost_data' or 'no_new_customers' (from marts.cac)
--   active_account_months: sum over the period's months of the accounts active in that month
--     (intermediate.active_account_months)
--   arpa: recognized revenue of the period / active_account_months (average monthly revenue per active account)
--   monthly_churn_rate: accounts lost in the period / active_account_months
--   ltv: arpa * gross margin / monthly_churn_rate; NULL when no account was lost
--   ltv_to_cac: blended LTV:CAC = ltv / cac
--   cohort_ltv_to_cac_12m: realized LTV at 12 months of the accounts acquired in the period (marts.ltv
--     realized_ltv_12m) / cac; NULL until the cohort has had 12 months
--   cohort_ltv_to_cac_24m: same at 24 months
--   cac_payback_months: cac / (arpa * gross margin): months of gross margin to earn back the CAC
--   retention_rate: from marts.retention
--   lead_to_customer_rate: from marts.conversion
--   ltv_to_cac_status: 'on_target' when ltv_to_cac >= LTV_CAC_TARGET, 'below_target', or 'unknown'
--   payback_status: 'on_target' when cac_payback_months <= PAYBACK_TARGET_MONTHS, 'too_slow', or 'unknown'
--   status: 'on_target' when both are on target, 'off_target' when either misses, else 'unknown'
with activity as (
    select calendar.period_grain, calendar.period_start, count(*) as active_account_months
    from intermediate.active_account_months
    inner join intermediate.calendar on calendar.day = active_account_months.month_start
    group by all
),

revenue as (
    select calendar.period_grain, calendar.period_start, exact_sum(revenue_monthly.revenue_reporting) as revenue_reporting
    from intermediate.revenue_monthly
    inner join intermediate.calendar on calendar.day = revenue_monthly.month_start
    group by all
),

joined as (
    select
        cac.period_grain,
        cac.period_start,
        cac.period_end,
        cac.paid_spend,
        cac.sm_cost,
        cac.new_customers,
        cac.cac,
        cac.cac_null_reason,
        ltv.realized_ltv_12m,
        ltv.realized_ltv_24m,
        coalesce(activity.active_account_months, 0) as active_account_months,
        safe_divide(coalesce(revenue.revenue_reporting, 0), activity.active_account_months) as arpa,
        safe_divide(retention.churned_customers, activity.active_account_months) as monthly_churn_rate,
        retention.retention_rate,
        conversion.lead_to_customer_rate
    from marts.cac
    inner join marts.retention using (period_grain, period_start)
    inner join marts.conversion using (period_grain, period_start)
    left join marts.ltv using (period_grain, period_start)
    left join activity using (period_grain, period_start)
    left join revenue using (period_grain, period_start)
),

valued as (
    select
        *,
        safe_divide(arpa * getvariable('gross_margin'), monthly_churn_rate) as ltv,
        safe_divide(cac, arpa * getvariable('gross_margin')) as cac_payback_months
    from joined
),

statuses as (
    select
        *,
        ltv_to_cac_status(safe_divide(ltv, cac)) as ltv_to_cac_status,
        case
            when cac_payback_months is null then 'unknown'
            when cac_payback_months <= getvariable('payback_target_months') then 'on_target'
            else 'too_slow'
        end as payback_status
    from valued
)

select
    period_grain,
    period_start,
    period_end,
    paid_spend,
    sm_cost,
    new_customers,
    cac,
    cac_null_reason,
    active_account_months,
    arpa,
    monthly_churn_rate,
    ltv,
    safe_divide(ltv, cac) as ltv_to_cac,
    safe_divide(realized_ltv_12m, cac) as cohort_ltv_to_cac_12m,
    safe_divide(realized_ltv_24m, cac) as cohort_ltv_to_cac_24m,
    cac_payback_months,
    retention_rate,
    lead_to_customer_rate,
    ltv_to_cac_status,
    payback_status,
    case
        when ltv_to_cac_status = 'on_target' and payback_status = 'on_target' then 'on_target'
        when ltv_to_cac_status = 'below_target' or payback_status = 'too_slow' then 'off_target'
        else 'unknown'
    end as status
from statuses
order by period_grain, period_start

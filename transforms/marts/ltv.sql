-- marts.ltv: one row per acquisition cohort (the accounts acquired in a period): lifetime value (METRICS: LTV).
-- Revenue is won deals and orders (refunds included, so an account's net revenue may be negative) in the reporting
-- currency, times GROSS_MARGIN, up to PAYBACK_AS_OF.
-- columns:
--   cohort_size: accounts acquired in the period
--   arpa: average monthly recurring revenue per active account = recognized revenue of the cohort's accounts /
--     their active account-months (intermediate.active_account_months, up to the month of PAYBACK_AS_OF)
--   monthly_churn_rate: accounts of the cohort lost / their active account-months
--   realized_ltv_3m: average gross-margin revenue per account in the 3 months after its acquisition;
--     NULL until every account of the cohort has had 3 months at PAYBACK_AS_OF (its last acquisition + 3 months)
--   realized_ltv_6m: same over 6 months
--   realized_ltv_12m: same over 12 months
--   realized_ltv_24m: same over 24 months
--   realized_ltv_to_date: average gross-margin revenue per account up to PAYBACK_AS_OF
--   formula_ltv: arpa * gross margin / monthly_churn_rate; NULL while the cohort has lost no account
with cohorts as (
    select
        calendar.period_grain,
        calendar.period_start,
        calendar.period_end,
        customers.account_id,
        customers.acquired_date,
        customers.churned_date
    from intermediate.customers
    inner join intermediate.calendar on calendar.day = customers.acquired_date
),

-- Each account's active months up to the month of PAYBACK_AS_OF.
active_months as (
    select account_id, month_start
    from intermediate.active_account_months
    where month_start <= date_trunc('month', getvariable('as_of'))
),

realized as (
    select
        cohorts.period_grain,
        cohorts.period_start,
        cohorts.account_id,
        coalesce(exact_sum(case when revenue_date < cohorts.acquired_date + interval 3 month then revenue_reporting end), 0)
            as revenue_3m,
        coalesce(exact_sum(case when revenue_date < cohorts.acquired_date + interval 6 month then revenue_reporting end), 0)
            as revenue_6m,
        coalesce(exact_sum(case when revenue_date < cohorts.acquired_date + interval 12 month then revenue_reporting end), 0)
            as revenue_12m,
        coalesce(exact_sum(case when revenue_date < cohorts.acquired_date + interval 24 month then revenue_reporting end), 0)
            as revenue_24m,
        coalesce(exact_sum(revenue_reporting), 0) as revenue_to_date
    from cohorts
    left join intermediate.revenue_events
        on revenue_events.account_id = cohorts.account_id
        and revenue_events.revenue_date <= getvariable('as_of')
    group by all
),

recurring as (
    select
        cohorts.period_grain,
        cohorts.period_start,
        coalesce(sum(months.active_months), 0) as active_account_months,
        count(cohorts.churned_date) as churned_customers
    from cohorts
    left join (select account_id, count(*) as active_months from active_months group by account_id) as months
        using (account_id)
    group by all
),

recognized as (
    select cohorts.period_grain, cohorts.period_start, exact_sum(revenue_monthly.revenue_reporting) as revenue_reporting
    from cohorts
    inner join active_months using (account_id)
    inner join intermediate.revenue_monthly using (account_id, month_start)
    group by all
),

per_cohort as (
    select
        cohorts.period_grain,
        cohorts.period_start,
        cohorts.period_end,
        count(*) as cohort_size,
        max(cohorts.acquired_date) as last_acquired_date,
        exact_avg(realized.revenue_3m) as revenue_3m,
        exact_avg(realized.revenue_6m) as revenue_6m,
        exact_avg(realized.revenue_12m) as revenue_12m,
        exact_avg(realized.revenue_24m) as revenue_24m,
        exact_avg(realized.revenue_to_date) as revenue_to_date
    from cohorts
    inner join realized using (period_grain, period_start, account_id)
    group by all
),

joined as (
    select
        per_cohort.*,
        safe_divide(coalesce(recognized.revenue_reporting, 0), recurring.active_account_months) as arpa,
        safe_divide(recurring.churned_customers, recurring.active_account_months) as monthly_churn_rate
    from per_cohort
    inner join recurring using (period_grain, period_start)
    left join recognized using (period_grain, period_start)
)

-- A cohort is fully observed for k months once the last account it acquired has had k months.
select
    period_grain,
    period_start,
    period_end,
    cohort_size,
    arpa,
    monthly_churn_rate,
    case when months_have_passed(last_acquired_date, 3)
        then revenue_3m * getvariable('gross_margin') end as realized_ltv_3m,
    case when months_have_passed(last_acquired_date, 6)
        then revenue_6m * getvariable('gross_margin') end as realized_ltv_6m,
    case when months_have_passed(last_acquired_date, 12)
        then revenue_12m * getvariable('gross_margin') end as realized_ltv_12m,
    case when months_have_passed(last_acquired_date, 24)
        then revenue_24m * getvariable('gross_margin') end as realized_ltv_24m,
    revenue_to_date * getvariable('gross_margin') as realized_ltv_to_date,
    safe_divide(arpa * getvariable('gross_margin'), monthly_churn_rate) as formula_ltv
from joined
order by period_grain, period_start

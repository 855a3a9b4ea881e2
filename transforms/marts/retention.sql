-- marts.retention: one row per period: customer retention (METRICS: Retention).
-- A customer is active from its acquisition date until its churn date (it is lost on that date).
-- columns:
--   customers_start: customers active at period_start
--   new_customers: customers acquired during the period
--   churned_customers: customers lost during the period
--   customers_end: customers active at period_end (exclusive end, so: still active after the last day)
--   retention_rate: (customers_end - new_customers) / customers_start; NULL when customers_start is 0
--   churn_rate: 1 - retention_rate
with daily_changes as (
    -- Customer count changes per day: +1 on acquisition, -1 on churn. Aggregating per day first keeps the period
    -- join small however many customers there are.
    select day, sum(acquired) as acquired, sum(churned) as churned
    from (
        select acquired_date as day, 1 as acquired, 0 as churned from intermediate.customers
        union all
        select churned_date, 0, 1 from intermediate.customers where churned_date is not null
    )
    group by day
),

counts as (
    select
        periods.period_grain,
        periods.period_start,
        coalesce(sum(acquired - churned) filter (where day < periods.period_start), 0) as customers_start,
        coalesce(sum(acquired) filter (where day >= periods.period_start), 0) as new_customers,
        coalesce(sum(churned) filter (where day >= periods.period_start), 0) as churned_customers,
        coalesce(sum(acquired - churned), 0) as customers_end
    from intermediate.periods
    left join daily_changes on daily_changes.day < periods.period_end
    group by all
)

select
    periods.period_grain,
    periods.period_start,
    periods.period_end,
    counts.customers_start,
    counts.new_customers,
    counts.churned_customers,
    counts.customers_end,
    safe_divide(counts.customers_end - counts.new_customers, counts.customers_start) as retention_rate,
    1 - safe_divide(counts.customers_end - counts.new_customers, counts.customers_start) as churn_rate
from intermediate.periods
inner join counts using (period_grain, period_start)
order by periods.period_grain, periods.period_start

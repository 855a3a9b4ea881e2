-- marts.cohort_retention: one row per acquisition month (cohort) and months since acquisition k = 0..N:
-- the share of the cohort's accounts still active k months after their acquisition date (METRICS: Retention,
-- the classic triangle). A cohort has cells up to the month of PAYBACK_AS_OF.
-- columns:
--   cohort_month: month in which the accounts were acquired (= period_start, grain month)
--   months_since_acquisition: k
--   cohort_size: accounts acquired in cohort_month
--   active_customers: accounts of the cohort not lost by k months after their own acquisition date
--   retention: active_customers / cohort_size
with customers as (
    select
        cast(date_trunc('month', acquired_date) as date) as cohort_month,
        acquired_date,
        churned_date
    from intermediate.customers
),

-- The last k at which a lost account was still active: the largest k with acquired_date + k months < churned_date.
last_active_months as (
    select
        cohort_month,
        datediff('month', acquired_date, churned_date)
        - case when acquired_date + to_months(datediff('month', acquired_date, churned_date)) >= churned_date
            then 1 else 0 end as last_active_month
    from customers
    where churned_date is not null
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from customers
    group by cohort_month
),

cells as (
    select
        cohort_month,
        cohort_size,
        unnest(range(0, datediff('month', cohort_month, getvariable('as_of')) + 1)) as months_since_acquisition
    from cohort_sizes
),

lost_by_cell as (
    select cells.cohort_month, cells.months_since_acquisition, count(last_active_months.cohort_month) as lost
    from cells
    left join last_active_months
        on last_active_months.cohort_month = cells.cohort_month
        and last_active_months.last_active_month < cells.months_since_acquisition
    group by all
)

select
    'month' as period_grain,
    cells.cohort_month as period_start,
    cast(cells.cohort_month + interval 1 month as date) as period_end,
    cells.cohort_month,
    cells.months_since_acquisition,
    cells.cohort_size,
    cells.cohort_size - lost_by_cell.lost as active_customers,
    (cells.cohort_size - lost_by_cell.lost) / cells.cohort_size as retention
from cells
inner join lost_by_cell using (cohort_month, months_since_acquisition)
order by cells.cohort_month, cells.months_since_acquisition

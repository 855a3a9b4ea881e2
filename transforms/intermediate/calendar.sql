-- intermediate.calendar: one row per day and period grain, giving the period that contains the day
-- (METRICS: Periods). Grains: month, quarter, year (calendar), plus fiscal_quarter and fiscal_year when
-- FISCAL_YEAR_START_MONTH is not 1. period_end is exclusive. Days run from the first month with data to the
-- later of PAYBACK_AS_OF and the last event.
with bounds as (
    select
        date_trunc('month', least(
            (select min(local_date(created_at)) from staging.contacts),
            (select min(local_date(created_at)) from staging.deals),
            (select min(spend_date) from staging.spend),
            (select min(start_date) from staging.costs),
            (select min(local_date(ordered_at)) from staging.orders),
            getvariable('as_of')
        )) as first_day,
        greatest(
            getvariable('as_of'),
            (select max(local_date(closed_at)) from staging.deals),
            (select max(spend_date) from staging.spend),
            (select max(end_date) from staging.costs),
            (select max(local_date(ordered_at)) from staging.orders)
        ) as last_day
),

days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
    from bounds
),

fiscal_years as (
    select
        day,
        make_date(
            cast(year(day) - case when month(day) < getvariable('fiscal_year_start_month') then 1 else 0 end as bigint),
            cast(getvariable('fiscal_year_start_month') as bigint),
            1
        ) as fiscal_year_start
    from days
),

calendar_periods as (
    select day, 'month' as period_grain, cast(date_trunc('month', day) as date) as period_start, 1 as months
    from days
    union all
    select day, 'quarter', cast(date_trunc('quarter', day) as date), 3 from days
    union all
    select day, 'year', cast(date_trunc('year', day) as date), 12 from days
),

fiscal_periods as (
    select
        day,
        'fiscal_quarter' as period_grain,
        cast(fiscal_year_start + to_months(cast(3 * floor(datediff('month', fiscal_year_start, day) / 3) as integer))
             as date) as period_start,
        3 as months
    from fiscal_years
    where getvariable('fiscal_year_start_month') > 1
    union all
    select day, 'fiscal_year', fiscal_year_start, 12
    from fiscal_years
    where getvariable('fiscal_year_start_month') > 1
),

all_periods as (
    select * from calendar_periods
    union all
    select * from fiscal_periods
)

select
    day,
    period_grain,
    period_start,
    cast(period_start + to_months(months) as date) as period_end,
    months as months_in_period
from all_periods

-- intermediate.fx_daily: one row per day and currency: what one unit of the currency is worth in the reporting
-- currency that day (METRICS: money). Cross rates go through the most quoted currency (the pivot, EUR for ECB
-- data); a day without a quote uses the nearest earlier one, on every day of the calendar (to the later of
-- PAYBACK_AS_OF and the last event). A currency with no path to the reporting currency has no row, so its amounts
-- stay NULL and are flagged, never treated as 1:1.
with rates as (
    select rate_date, base_currency, quote_currency, rate
    from staging.fx
    where rate > 0
),

edges as (
    select rate_date, base_currency as from_currency, quote_currency as to_currency, rate from rates
    union all
    select rate_date, quote_currency, base_currency, 1 / rate from rates
),

pivot_choice as (
    select to_currency as pivot_currency
    from edges
    group by to_currency
    order by count(*) desc, to_currency
    limit 1
),

to_pivot as (
    select rate_date, from_currency as currency, rate as pivot_per_unit
    from edges
    where to_currency = (select pivot_currency from pivot_choice)
    union all
    select distinct rate_date, (select pivot_currency from pivot_choice), 1.0
    from edges
),

days as (
    select cast(unnest(generate_series(
        min(rate_date), greatest(max(rate_date), (select max(day) from intermediate.calendar)), interval 1 day
    )) as date) as rate_date
    from rates
),

grid as (
    select days.rate_date, currencies.currency
    from days
    cross join (select distinct currency from to_pivot) as currencies
),

latest_to_pivot as (
    select grid.rate_date, grid.currency, to_pivot.pivot_per_unit
    from grid
    asof left join to_pivot
        on to_pivot.currency = grid.currency
        and to_pivot.rate_date <= grid.rate_date
),

reporting_leg as (
    select rate_date, pivot_per_unit as reporting_pivot_per_unit
    from latest_to_pivot
    where currency = getvariable('reporting_currency')
)

select
    latest_to_pivot.rate_date,
    latest_to_pivot.currency,
    latest_to_pivot.pivot_per_unit / reporting_leg.reporting_pivot_per_unit as rate_to_reporting
from latest_to_pivot
inner join reporting_leg using (rate_date)
where latest_to_pivot.pivot_per_unit is not null
    and reporting_leg.reporting_pivot_per_unit is not null

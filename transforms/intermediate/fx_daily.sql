-- intermediate.fx_daily: one row per day and currency: what one unit of the currency is worth in the reporting
-- currency that day (METRICS: money). Rates come from the fx_rates export and the ECB's reference rates
-- (FX_RATES_FILE); on a day both quote a pair, the export's rate is used. Cross rates go through the most quoted
-- currency (the pivot, EUR for ECB data): USD to GBP is USD to EUR, then EUR to GBP. A day without a quote uses the
-- nearest earlier one, for each currency on its own, on every day from the first with data (or the first rate, if
-- later) to the later of PAYBACK_AS_OF and the last event. A currency with no path to the reporting currency, or a
-- day before its first rate, has no row, so its amounts stay NULL and are flagged, never treated as 1:1.
-- columns:
--   rate_to_reporting: the reporting currency one unit of `currency` is worth on rate_date
with rates as (
    select rate_date, base_currency, quote_currency, rate, source_system
    from staging.fx
    where rate > 0
    qualify row_number() over (
        partition by rate_date, base_currency, quote_currency order by source_system = 'ecb', source_system
    ) = 1
),

edges as (
    select rate_date, base_currency as from_currency, quote_currency as to_currency, rate, source_system,
        false as inverted
    from rates
    union all
    select rate_date, quote_currency, base_currency, 1 / rate, source_system, true from rates
),

pivot_choice as (
    select to_currency as pivot_currency
    from edges
    group by to_currency
    order by count(*) desc, to_currency
    limit 1
),

-- One quote per day and currency against the pivot: the export's before the ECB's, a rate given before its inverse.
quoted_to_pivot as (
    select rate_date, from_currency as currency, rate as pivot_per_unit
    from edges
    where to_currency = (select pivot_currency from pivot_choice)
    qualify row_number() over (
        partition by rate_date, from_currency order by source_system = 'ecb', source_system, inverted, rate
    ) = 1
),

to_pivot as (
    select * from quoted_to_pivot
    union all
    select distinct rate_date, (select pivot_currency from pivot_choice), 1.0
    from edges
),

days as (
    select cast(unnest(generate_series(
        greatest(min(rate_date), (select min(day) from intermediate.calendar)),
        greatest(max(rate_date), (select max(day) from intermediate.calendar)),
        interval 1 day
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

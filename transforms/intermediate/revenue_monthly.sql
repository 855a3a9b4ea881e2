-- intermediate.revenue_monthly: one row per account and month: recognized revenue in the reporting currency,
-- before gross margin (the basis of ARPA, METRICS: LTV). A won deal with contract dates is spread over its
-- contract days (a yearly contract gives twelve monthly amounts); a deal without them, and every order,
-- counts whole in the month of its date.
with converted as (
    select *
    from intermediate.revenue_events
    where revenue_reporting is not null
),

contract_months as (
    select
        account_id,
        revenue_reporting,
        contract_start,
        contract_end,
        cast(unnest(generate_series(
            date_trunc('month', contract_start), date_trunc('month', contract_end), interval 1 month
        )) as date) as month_start
    from converted
    where contract_start is not null and contract_end is not null
),

spread as (
    select
        account_id,
        month_start,
        revenue_reporting
        * (datediff('day', greatest(month_start, contract_start),
                    least(cast(month_start + interval 1 month - interval 1 day as date), contract_end)) + 1)
        / (datediff('day', contract_start, contract_end) + 1) as revenue_reporting
    from contract_months
),

one_off as (
    select account_id, cast(date_trunc('month', revenue_date) as date) as month_start, revenue_reporting
    from converted
    where contract_start is null or contract_end is null
),

unioned as (
    select * from spread
    union all
    select * from one_off
)

select account_id, month_start, exact_sum(revenue_reporting) as revenue_reporting
from unioned
group by account_id, month_start

-- intermediate.active_account_months: one row per account and month in which it is an active customer (METRICS:
-- LTV, Retention): from the month of its acquisition to the month of its churn (a customer lost during a month
-- was active in it), else to the calendar's last month. ARPA and the monthly churn rate divide by these
-- account-months: marts.unit_economics those of each period, marts.ltv those of each cohort up to PAYBACK_AS_OF.
-- columns:
--   month_start: first day of the month
with last_month as (
    select cast(date_trunc('month', max(day)) as date) as month_start
    from intermediate.calendar
)

select
    customers.account_id,
    cast(unnest(generate_series(
        date_trunc('month', customers.acquired_date),
        date_trunc('month', coalesce(customers.churned_date, (select month_start from last_month))),
        interval 1 month
    )) as date) as month_start
from intermediate.customers

-- marts.repeat_purchase_retention: one row per first-purchase month (cohort) and months since it k = 0..N: of the
-- accounts whose first purchase (an order with a positive amount) is in month M, the share that bought again in
-- month M+k (METRICS: Retention, repeat-purchase retention of transactional buyers). At k = 0, buying again means
-- a second order in month M. A refund or cancellation is no purchase. Cells and orders run to PAYBACK_AS_OF.
-- columns:
--   cohort_month: month of the accounts' first purchase (= period_start, grain month)
--   months_since_first_purchase: k
--   cohort_size: accounts whose first purchase is in cohort_month
--   repeat_buyers: accounts of the cohort with a purchase other than their first in month cohort_month + k
--   repeat_rate: repeat_buyers / cohort_size
with purchases as (
    select
        account_id,
        cast(date_trunc('month', ordered_date) as date) as purchase_month,
        row_number() over (partition by account_id order by ordered_at, order_id) = 1 as is_first
    from intermediate.orders
    where is_purchase and account_id is not null and ordered_date <= getvariable('as_of')
),

first_purchases as (
    select account_id, purchase_month as cohort_month
    from purchases
    where is_first
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from first_purchases
    group by cohort_month
),

cells as (
    select
        cohort_month,
        cohort_size,
        unnest(range(0, datediff('month', cohort_month, getvariable('as_of')) + 1)) as months_since_first_purchase
    from cohort_sizes
),

repeats as (
    select
        first_purchases.cohort_month,
        datediff('month', first_purchases.cohort_month, purchases.purchase_month) as months_since_first_purchase,
        count(distinct purchases.account_id) as repeat_buyers
    from purchases
    inner join first_purchases using (account_id)
    where not purchases.is_first
    group by all
)

select
    'month' as period_grain,
    cells.cohort_month as period_start,
    cast(cells.cohort_month + interval 1 month as date) as period_end,
    cells.cohort_month,
    cells.months_since_first_purchase,
    cells.cohort_size,
    coalesce(repeats.repeat_buyers, 0) as repeat_buyers,
    coalesce(repeats.repeat_buyers, 0) / cells.cohort_size as repeat_rate
from cells
left join repeats using (cohort_month, months_since_first_purchase)
order by cells.cohort_month, cells.months_since_first_purchase

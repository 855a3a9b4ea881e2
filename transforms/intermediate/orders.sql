-- intermediate.orders: one row per order or invoice, with its account (intermediate.account_map), its local date
-- and the amount in the reporting currency at the rate of that date (NULL and fx_missing when there is none).
-- A purchase is an order with a positive amount (METRICS: Customer, Refunds): a refund, a credit note or a
-- cancellation (amount <= 0) reduces revenue but never acquires a customer and never counts as buying.
-- columns:
--   amount: the order's amount in its own currency, as the source gives it
--   currency: the currency of amount (ISO 4217)
--   amount_reporting: amount in the reporting currency at the rate of ordered_date; NULL when that currency has no
--     rate on or before that day
--   fx_missing: the order has an amount that could not be converted (left out of every total)
with dated as (
    select
        orders.*,
        account_map.account_id,
        local_date(orders.ordered_at) as ordered_date
    from staging.orders
    left join intermediate.account_map
        on account_map.record_type = 'order' and account_map.record_id = orders.order_id
),

converted as (
    select
        dated.*,
        to_reporting(dated.amount, dated.currency, fx_daily.rate_to_reporting) as amount_reporting
    from dated
    left join intermediate.fx_daily
        on fx_daily.currency = dated.currency
        and fx_daily.rate_date = dated.ordered_date
)

select *, amount is not null and amount_reporting is null as fx_missing, amount > 0 as is_purchase
from converted

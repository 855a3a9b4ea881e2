-- intermediate.revenue_events: one row per won deal or order, in the reporting currency at the rate of its date
-- (METRICS: LTV — revenue of an account = its won deals and its orders). A refund or credit note (negative
-- amount) is revenue too, reducing its period's (METRICS: Refunds). is_purchase: a won deal, or an order with a
-- positive amount — what keeps a transactional customer active. Rows without a rate keep a NULL
-- revenue_reporting and fx_missing = true.
-- columns:
--   amount: the deal's or order's amount in its own currency
--   currency: the currency of amount (ISO 4217)
--   revenue_reporting: amount in the reporting currency at the rate of revenue_date; NULL without a rate
--   fx_missing: an amount that could not be converted (left out of every total)
with won_deals as (
    select
        account_id,
        'deal' as revenue_source,
        deal_id as revenue_id,
        closed_date as revenue_date,
        amount,
        currency,
        amount_reporting as revenue_reporting,
        contract_start,
        contract_end,
        true as is_purchase
    from intermediate.deals
    where status = 'won'
),

orders as (
    select
        account_id,
        'order' as revenue_source,
        order_id as revenue_id,
        ordered_date as revenue_date,
        amount,
        currency,
        amount_reporting as revenue_reporting,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end,
        is_purchase
    from intermediate.orders
),

unioned as (
    select * from won_deals
    union all
    select * from orders
)

select *, amount is not null and revenue_reporting is null as fx_missing from unioned

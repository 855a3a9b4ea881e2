-- intermediate.revenue_events: one row per won deal or order, in the reporting currency at the rate of its date
-- (METRICS: LTV — revenue of an account = its won deals and its orders). Rows without a rate keep a NULL
-- revenue_reporting and fx_missing = true.
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
        contract_end
    from intermediate.deals
    where status = 'won'
),

orders as (
    select
        orders.account_id,
        'order' as revenue_source,
        orders.order_id as revenue_id,
        local_date(orders.ordered_at) as revenue_date,
        orders.amount,
        orders.currency,
        to_reporting(orders.amount, orders.currency, fx_daily.rate_to_reporting) as revenue_reporting,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end
    from staging.orders
    left join intermediate.fx_daily
        on fx_daily.currency = orders.currency
        and fx_daily.rate_date = local_date(orders.ordered_at)
),

unioned as (
    select * from won_deals
    union all
    select * from orders
)

select *, revenue_reporting is null as fx_missing from unioned

-- marts.channel_economics: one row per period, attribution model and channel: what the channel cost and what it won
-- under that model (METRICS: Attribution, CAC by segment, CPL): the sums of marts.campaign_economics over the
-- channel's campaigns, and the same ratios. The channels of a period and model always sum to the period's spend,
-- S&M cost, new leads and new customers.
-- columns:
--   model: the attribution model (see marts.attribution)
--   is_default_model: whether it is the model of intermediate.attribution_model (what the summary shows)
--   channel: the channel ('unallocated' for costs no campaign carries)
--   spend: paid media spend booked to the channel, reporting currency
--   sm_cost: spend plus the channel's share of the other sales and marketing costs (fully loaded)
--   attributed_leads: leads credited to the channel
--   attributed_customers: accounts acquired credited to the channel
--   cpl: spend / attributed_leads; NULL when there are none
--   paid_cac: spend / attributed_customers; NULL when there are none
--   cac: sm_cost / attributed_customers (fully loaded CAC); NULL when there are none
--   attributed_revenue: won revenue in their first 12 months of the accounts credited to the channel (credit-weighted)
--   roas: attributed_revenue / spend; NULL without spend
--   realized_ltv_12m: attributed_revenue x GROSS_MARGIN / attributed_customers; NULL until every account acquired in
--     the period has had 12 months at PAYBACK_AS_OF
--   ltv_to_cac: realized_ltv_12m / cac
--   status: 'on_target' when ltv_to_cac >= LTV_CAC_TARGET, 'below_target' when under it, 'unknown' when undefined
with channels as (
    select
        period_grain,
        period_start,
        period_end,
        model,
        is_default_model,
        channel,
        exact_sum(spend) as spend,
        exact_sum(sm_cost) as sm_cost,
        exact_sum(attributed_leads) as attributed_leads,
        exact_sum(attributed_customers) as attributed_customers,
        exact_sum(attributed_revenue) as attributed_revenue
    from marts.campaign_economics
    group by all
),

valued as (
    select
        channels.*,
        safe_divide(channels.spend, channels.attributed_leads) as cpl,
        safe_divide(channels.spend, channels.attributed_customers) as paid_cac,
        safe_divide(channels.sm_cost, channels.attributed_customers) as cac,
        safe_divide(channels.attributed_revenue, channels.spend) as roas,
        case when months_have_passed(period_acquisitions.last_acquired_date, 12)
            then safe_divide(channels.attributed_revenue * getvariable('gross_margin'), channels.attributed_customers)
        end as realized_ltv_12m
    from channels
    left join intermediate.period_acquisitions using (period_grain, period_start)
)

select
    period_grain,
    period_start,
    period_end,
    model,
    is_default_model,
    channel,
    spend,
    sm_cost,
    attributed_leads,
    attributed_customers,
    cpl,
    paid_cac,
    cac,
    attributed_revenue,
    roas,
    realized_ltv_12m,
    safe_divide(realized_ltv_12m, cac) as ltv_to_cac,
    ltv_to_cac_status(safe_divide(realized_ltv_12m, cac)) as status
from valued
order by period_grain, period_start, model, channel

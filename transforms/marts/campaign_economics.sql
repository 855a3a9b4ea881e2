-- marts.campaign_economics: one row per period, attribution model, channel and campaign: what the campaign cost and
-- what it won under that model (METRICS: Attribution, CAC by segment, CPL). Spend is the campaign's paid media
-- spend in the period (under the channel its spend is booked to); leads, customers and revenue are its credit in
-- marts.attribution. The other sales and marketing costs of the period (the ledger) are spread over the campaigns in
-- proportion to their spend (OVERHEAD_ALLOCATION=proportional), or left in a row of their own, channel
-- 'unallocated' (OVERHEAD_ALLOCATION=unallocated, or a period without spend). The campaigns of a period and model
-- always sum to the period's spend, S&M cost, new leads and new customers. marts.channel_economics sums them by
-- channel.
-- columns:
--   model: the attribution model (see marts.attribution)
--   is_default_model: whether it is the model of intermediate.attribution_model (what the summary shows)
--   channel: the channel of the spend and of the credited touches ('unallocated' for costs no campaign carries)
--   campaign_id: the campaign; NULL for touches without one (organic)
--   spend: paid media spend, reporting currency; NULL when the period has no cost data (no spend and no ledger
--     line covers it), and so are sm_cost and the ratios that need them
--   sm_cost: spend plus the campaign's share of the other sales and marketing costs (fully loaded)
--   attributed_leads: leads credited to the campaign
--   attributed_customers: accounts acquired credited to the campaign
--   cpl: spend / attributed_leads; NULL when there are none
--   paid_cac: spend / attributed_customers; NULL when there are none
--   cac: sm_cost / attributed_customers (fully loaded); NULL when there are none
--   attributed_revenue: revenue credited to the campaign (marts.attribution: the acquired accounts' won revenue in
--     their first 12 months, up to PAYBACK_AS_OF), reporting currency, before gross margin
--   roas: attributed_revenue / spend; NULL without spend
--   realized_ltv_12m: gross-margin revenue in the first 12 months per attributed customer (credit-weighted) =
--     attributed_revenue x GROSS_MARGIN / attributed_customers; NULL until every account acquired in the period has
--     had 12 months at PAYBACK_AS_OF (as marts.ltv)
--   ltv_to_cac: realized_ltv_12m / cac
--   status: 'on_target' when ltv_to_cac >= LTV_CAC_TARGET, 'below_target' when under it, 'unknown' when undefined
with models as (
    select unnest(['first_touch', 'last_touch', 'linear', 'position_based', 'w_shaped', 'time_decay', 'markov'])
        as model
),

costs as (
    select
        calendar.period_grain,
        calendar.period_start,
        case when sm_costs_daily.cost_type = 'paid_media' then sm_costs_daily.channel end as channel,
        sm_costs_daily.campaign_id,
        exact_sum(case when sm_costs_daily.cost_type = 'paid_media' then amount_reporting end) as spend,
        exact_sum(case when sm_costs_daily.cost_type = 'other' then amount_reporting end) as other_cost
    from intermediate.sm_costs_daily
    inner join intermediate.calendar on calendar.day = sm_costs_daily.cost_date
    group by all
),

campaign_spend as (
    select period_grain, period_start, channel, campaign_id, spend
    from costs
    where channel is not null
),

period_costs as (
    select period_grain, period_start, coalesce(exact_sum(spend), 0) as spend, coalesce(exact_sum(other_cost), 0)
        as other_cost
    from costs
    group by all
),

credits as (
    select
        period_grain,
        period_start,
        model,
        channel,
        campaign_id,
        exact_sum(case when conversion_event = 'lead' then credit end) as attributed_leads,
        exact_sum(case when conversion_event = 'customer' then credit end) as attributed_customers,
        exact_sum(case when conversion_event = 'customer' then revenue end) as attributed_revenue
    from marts.attribution
    group by all
),

campaigns as (
    select
        period_grain,
        period_start,
        model,
        channel,
        campaign_id,
        coalesce(campaign_spend.spend, 0) as spend,
        coalesce(credits.attributed_leads, 0) as attributed_leads,
        coalesce(credits.attributed_customers, 0) as attributed_customers,
        coalesce(credits.attributed_revenue, 0) as attributed_revenue
    from (select campaign_spend.*, models.model from campaign_spend cross join models) as campaign_spend
    full outer join credits using (period_grain, period_start, model, channel, campaign_id)
),

-- A period without a single cost row has no cost data: its costs are unknown (NULL), not zero, as in marts.cac.
loaded as (
    select
        campaigns.* replace (case when period_costs.period_start is not null then campaigns.spend end as spend),
        case when period_costs.period_start is not null then campaigns.spend + case
            when getvariable('overhead_allocation') = 'proportional' and period_costs.spend > 0
                then period_costs.other_cost * campaigns.spend / period_costs.spend
            else 0
        end end as sm_cost
    from campaigns
    left join period_costs using (period_grain, period_start)
),

-- The other costs no campaign carries: all of them with OVERHEAD_ALLOCATION=unallocated or without spend.
unallocated as (
    select
        period_costs.period_grain,
        period_costs.period_start,
        models.model,
        'unallocated' as channel,
        cast(null as varchar) as campaign_id,
        0.0 as spend,
        0.0 as attributed_leads,
        0.0 as attributed_customers,
        0.0 as attributed_revenue,
        period_costs.other_cost as sm_cost
    from period_costs
    cross join models
    where period_costs.other_cost <> 0
        and (getvariable('overhead_allocation') = 'unallocated' or period_costs.spend = 0)
),

valued as (
    select
        rows.*,
        safe_divide(rows.spend, rows.attributed_leads) as cpl,
        safe_divide(rows.spend, rows.attributed_customers) as paid_cac,
        safe_divide(rows.sm_cost, rows.attributed_customers) as cac,
        safe_divide(rows.attributed_revenue, rows.spend) as roas,
        case when months_have_passed(period_acquisitions.last_acquired_date, 12)
            then safe_divide(rows.attributed_revenue * getvariable('gross_margin'), rows.attributed_customers)
        end as realized_ltv_12m
    from (select * from loaded union all by name select * from unallocated) as rows
    left join intermediate.period_acquisitions using (period_grain, period_start)
)

select
    valued.period_grain,
    valued.period_start,
    periods.period_end,
    valued.model,
    valued.model = (select model from intermediate.attribution_model) as is_default_model,
    valued.channel,
    valued.campaign_id,
    valued.spend,
    valued.sm_cost,
    valued.attributed_leads,
    valued.attributed_customers,
    valued.cpl,
    valued.paid_cac,
    valued.cac,
    valued.attributed_revenue,
    valued.roas,
    valued.realized_ltv_12m,
    safe_divide(valued.realized_ltv_12m, valued.cac) as ltv_to_cac,
    ltv_to_cac_status(safe_divide(valued.realized_ltv_12m, valued.cac)) as status
from valued
inner join intermediate.periods using (period_grain, period_start)
order by valued.period_grain, valued.period_start, valued.model, valued.channel, valued.campaign_id

-- marts.cac_by_segment: one row per period, dimension (channel, campaign, country, industry, company_size) and
-- segment: CPL and CAC by segment (METRICS: CAC by segment, CPL). Each campaign's spend in the period is spread over
-- the leads it gets credit for under the attribution model of intermediate.attribution_model (ATTRIBUTION_MODEL;
-- by default markov when there are enough converting paths, else linear), in proportion to that credit; a lead's
-- cost follows it into its segment (channel and campaign: those of the credited touches). Costs no campaign
-- carries (the ledger, and spend of campaigns no lead of the period credits) are spread in proportion to attributed
-- spend (OVERHEAD_ALLOCATION=proportional) or shown as 'unallocated'. The segments of a period and dimension always
-- sum to its sm_cost in marts.cac, and, for channel and campaign, to its new leads and new customers.
-- columns:
--   dimension: channel, campaign, country, industry or company_size
--   segment: the dimension's value ('unknown' when not recorded, e.g. the campaign of an organic lead;
--     'unallocated' for cost no lead carries)
--   attributed_spend: paid spend carried by the segment's leads
--   sm_cost: attributed_spend plus the segment's share of the other costs
--   new_customers: accounts acquired in the period in this segment; for channel and campaign, the acquisitions
--     credited to it under the model (marts.attribution, customer event), so possibly fractional
--   cac: sm_cost / new_customers; NULL when there are none
--   new_leads: contacts that became leads in the period in this segment; for channel and campaign, the leads
--     credited to it under the model (marts.attribution, lead event)
--   cpl: cost per lead = attributed_spend / new_leads (paid spend per new lead); NULL when there are none
--   attribution_model: the model channel and campaign credit follows (intermediate.attribution_model)
with dimensions as (
    select unnest(['channel', 'campaign', 'country', 'industry', 'company_size']) as dimension
),

chosen as (
    select model from intermediate.attribution_model
),

period_leads as (
    select calendar.period_grain, calendar.period_start, leads.*
    from intermediate.leads
    inner join intermediate.calendar on calendar.day = leads.lead_date
),

campaign_spend as (
    select calendar.period_grain, calendar.period_start, sm_costs_daily.campaign_id, exact_sum(amount_reporting) as spend
    from intermediate.sm_costs_daily
    inner join intermediate.calendar on calendar.day = sm_costs_daily.cost_date
    where cost_type = 'paid_media' and amount_reporting is not null
    group by all
),

-- Each lead's touches of each channel and campaign, in the period of its lead date, and its credit for them under
-- the model. Markov credits channels, not leads: a lead's share of its channel's credit is its share of the
-- channel's touches in the period's converting lead paths.
lead_touches as (
    select
        calendar.period_grain,
        calendar.period_start,
        paths.path_id as contact_id,
        paths.channel,
        paths.campaign_id,
        count(*) as touches,
        exact_sum(case chosen.model
            when 'first_touch' then paths.first_touch
            when 'last_touch' then paths.last_touch
            when 'linear' then paths.linear
            when 'position_based' then paths.position_based
            when 'w_shaped' then paths.w_shaped
            when 'time_decay' then paths.time_decay
        end) as rule_based_credit
    from intermediate.attribution_paths as paths
    cross join chosen
    inner join intermediate.calendar on calendar.day = paths.anchor_date
    where paths.conversion_event = 'lead' and paths.converted
    group by all
),

markov_channels as (
    select
        lead_touches.period_grain,
        lead_touches.period_start,
        lead_touches.channel,
        any_value(effects.credit) / sum(lead_touches.touches) as credit_per_touch
    from lead_touches
    inner join intermediate.markov_removal_effects as effects
        on effects.period_grain = lead_touches.period_grain
        and effects.period_start = lead_touches.period_start
        and effects.conversion_event = 'lead'
        and effects.channel = lead_touches.channel
    group by all
),

lead_credits as (
    select
        lead_touches.*,
        case when (select model from chosen) = 'markov'
            then lead_touches.touches * coalesce(markov_channels.credit_per_touch, 0)
            else lead_touches.rule_based_credit
        end as credit
    from lead_touches
    left join markov_channels using (period_grain, period_start, channel)
),

campaign_credits as (
    select period_grain, period_start, campaign_id, exact_sum(credit) as credit
    from lead_credits
    where campaign_id is not null
    group by all
),

lead_costs as (
    select
        lead_credits.*,
        campaign_spend.spend * safe_divide(lead_credits.credit, campaign_credits.credit) as lead_cost
    from lead_credits
    left join campaign_credits using (period_grain, period_start, campaign_id)
    left join campaign_spend using (period_grain, period_start, campaign_id)
),

cost_segments as (
    select
        lead_costs.period_grain,
        lead_costs.period_start,
        dimensions.dimension,
        case dimensions.dimension
            when 'channel' then lead_costs.channel
            when 'campaign' then coalesce(lead_costs.campaign_id, 'unknown')
            when 'country' then period_leads.country
            when 'industry' then period_leads.industry
            else period_leads.company_size
        end as segment,
        lead_costs.lead_cost
    from lead_costs
    inner join period_leads using (period_grain, period_start, contact_id)
    cross join dimensions
),

attributed_spend as (
    select period_grain, period_start, dimension, segment, coalesce(exact_sum(lead_cost), 0) as attributed_spend
    from cost_segments
    group by all
),

-- Leads and customers: channel and campaign by their credit under the model, the other dimensions counted.
credited as (
    select
        attribution.period_grain,
        attribution.period_start,
        dimensions.dimension,
        case dimensions.dimension when 'channel' then attribution.channel
            else coalesce(attribution.campaign_id, 'unknown') end as segment,
        coalesce(exact_sum(case when attribution.conversion_event = 'lead' then attribution.credit end), 0)
            as new_leads,
        coalesce(exact_sum(case when attribution.conversion_event = 'customer' then attribution.credit end), 0)
            as new_customers
    from marts.attribution
    inner join chosen using (model)
    cross join dimensions
    where dimensions.dimension in ('channel', 'campaign')
    group by all
),

counted_leads as (
    select period_grain, period_start, dimensions.dimension,
        case dimensions.dimension
            when 'country' then country
            when 'industry' then industry
            else company_size
        end as segment,
        count(*) as new_leads
    from period_leads
    cross join dimensions
    where dimensions.dimension not in ('channel', 'campaign')
    group by all
),

counted_customers as (
    select calendar.period_grain, calendar.period_start, dimensions.dimension,
        case dimensions.dimension
            when 'country' then customers.country
            when 'industry' then customers.industry
            else customers.company_size
        end as segment,
        count(*) as new_customers
    from intermediate.customers
    inner join intermediate.calendar on calendar.day = customers.acquired_date
    cross join dimensions
    where dimensions.dimension not in ('channel', 'campaign')
    group by all
),

counts as (
    select * from credited
    union all by name
    select period_grain, period_start, dimension, segment,
        coalesce(counted_leads.new_leads, 0) as new_leads,
        coalesce(counted_customers.new_customers, 0) as new_customers
    from counted_leads
    full outer join counted_customers using (period_grain, period_start, dimension, segment)
),

period_totals as (
    select
        cac.period_grain,
        cac.period_start,
        dimensions.dimension,
        cac.sm_cost,
        coalesce(exact_sum(attributed_spend.attributed_spend), 0) as total_attributed
    from marts.cac
    cross join dimensions
    left join attributed_spend using (period_grain, period_start, dimension)
    group by all
),

proportional as (
    select
        period_grain,
        period_start,
        dimension,
        segment,
        coalesce(attributed_spend.attributed_spend, 0) as attributed_spend,
        case
            when period_totals.sm_cost is null then null  -- no cost data in the period: unknown, not zero
            when getvariable('overhead_allocation') = 'proportional' and period_totals.total_attributed > 0
                then period_totals.sm_cost * coalesce(attributed_spend.attributed_spend, 0)
                     / period_totals.total_attributed
            else coalesce(attributed_spend.attributed_spend, 0)
        end as sm_cost,
        coalesce(counts.new_customers, 0) as new_customers,
        coalesce(counts.new_leads, 0) as new_leads
    from attributed_spend
    full outer join counts using (period_grain, period_start, dimension, segment)
    inner join period_totals using (period_grain, period_start, dimension)
),

unallocated as (
    select
        period_grain,
        period_start,
        dimension,
        'unallocated' as segment,
        0.0 as attributed_spend,
        case
            when getvariable('overhead_allocation') = 'proportional' and total_attributed > 0 then 0.0
            else sm_cost - total_attributed
        end as sm_cost,
        0 as new_customers,
        0 as new_leads
    from period_totals
),

segments as (
    select * from proportional
    union all
    select * from unallocated
    where sm_cost <> 0
)

select
    segments.period_grain,
    segments.period_start,
    periods.period_end,
    segments.dimension,
    segments.segment,
    segments.attributed_spend,
    segments.sm_cost,
    cast(segments.new_customers as double) as new_customers,
    safe_divide(segments.sm_cost, segments.new_customers) as cac,
    cast(segments.new_leads as double) as new_leads,
    safe_divide(segments.attributed_spend, segments.new_leads) as cpl,
    (select model from chosen) as attribution_model
from segments
inner join intermediate.periods using (period_grain, period_start)
order by segments.period_grain, segments.period_start, segments.dimension, segments.segment

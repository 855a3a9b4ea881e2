-- marts.cac_by_segment: one row per period, dimension (channel, campaign, country, industry, company_size) and
-- segment: CPL and CAC by segment (METRICS: CAC by segment, CPL). Each campaign's spend in the period is spread
-- evenly over the leads it gets credit for by first touch (the first touch up to the lead date, else the contact's
-- original source); a lead's cost follows it into its segment. Costs no campaign carries (the ledger, and spend of
-- campaigns without leads in the period) are spread in proportion to attributed spend
-- (OVERHEAD_ALLOCATION=proportional) or shown as 'unallocated'. The segments of a period and dimension always sum
-- to its sm_cost in marts.cac.
-- columns:
--   dimension: channel, campaign, country, industry or company_size
--   segment: the dimension's value ('unknown' when not recorded, e.g. the campaign of an organic lead;
--     'unallocated' for cost no lead carries)
--   attributed_spend: paid spend carried by the segment's leads
--   sm_cost: attributed_spend plus the segment's share of the other costs
--   new_customers: accounts acquired in the period whose segment is this one (channel and campaign: the first
--     touch of the account's contacts up to its acquisition)
--   cac: sm_cost / new_customers; NULL when there are none
--   new_leads: contacts that became leads in the period in this segment
--   cpl: cost per lead = attributed_spend / new_leads (paid spend per new lead); NULL when there are none
with periods as (
    select distinct period_grain, period_start, period_end
    from intermediate.calendar
),

dimensions as (
    select unnest(['channel', 'campaign', 'country', 'industry', 'company_size']) as dimension
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

campaign_leads as (
    select period_grain, period_start, campaign_id, count(*) as leads
    from period_leads
    where campaign_id is not null
    group by all
),

lead_costs as (
    select period_leads.*, campaign_spend.spend / campaign_leads.leads as lead_cost
    from period_leads
    left join campaign_leads using (period_grain, period_start, campaign_id)
    left join campaign_spend using (period_grain, period_start, campaign_id)
),

lead_segments as (
    select period_grain, period_start, dimensions.dimension,
        case dimensions.dimension
            when 'channel' then channel
            when 'campaign' then coalesce(campaign_id, 'unknown')
            when 'country' then country
            when 'industry' then industry
            else company_size
        end as segment,
        lead_cost
    from lead_costs
    cross join dimensions
),

attributed as (
    select
        period_grain,
        period_start,
        dimension,
        segment,
        coalesce(exact_sum(lead_cost), 0) as attributed_spend,
        count(*) as new_leads
    from lead_segments
    group by all
),

period_totals as (
    select
        cac.period_grain,
        cac.period_start,
        dimensions.dimension,
        cac.sm_cost,
        coalesce(exact_sum(attributed.attributed_spend), 0) as total_attributed
    from marts.cac
    cross join dimensions
    left join attributed using (period_grain, period_start, dimension)
    group by all
),

customer_segments as (
    select calendar.period_grain, calendar.period_start, dimensions.dimension,
        case dimensions.dimension
            when 'channel' then customers.channel
            when 'campaign' then coalesce(customers.campaign_id, 'unknown')
            when 'country' then customers.country
            when 'industry' then customers.industry
            else customers.company_size
        end as segment,
        count(*) as new_customers
    from intermediate.customers
    inner join intermediate.calendar on calendar.day = customers.acquired_date
    cross join dimensions
    group by all
),

proportional as (
    select
        period_grain,
        period_start,
        dimension,
        segment,
        coalesce(attributed.attributed_spend, 0) as attributed_spend,
        case
            when period_totals.sm_cost is null then null  -- no cost data in the period: unknown, not zero
            when getvariable('overhead_allocation') = 'proportional' and period_totals.total_attributed > 0
                then period_totals.sm_cost * coalesce(attributed.attributed_spend, 0) / period_totals.total_attributed
            else coalesce(attributed.attributed_spend, 0)
        end as sm_cost,
        coalesce(customer_segments.new_customers, 0) as new_customers,
        coalesce(attributed.new_leads, 0) as new_leads
    from attributed
    full outer join customer_segments using (period_grain, period_start, dimension, segment)
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
    segments.new_customers,
    safe_divide(segments.sm_cost, segments.new_customers) as cac,
    segments.new_leads,
    safe_divide(segments.attributed_spend, segments.new_leads) as cpl
from segments
inner join periods using (period_grain, period_start)
order by segments.period_grain, segments.period_start, segments.dimension, segments.segment

-- marts.attribution: one row per period, conversion event, model, channel and campaign: the conversions credited to
-- each channel and campaign (METRICS: Attribution). Conversions: lead (a contact becoming a lead) and customer (an
-- account's acquisition, its path every touch of its contacts), in the period of the conversion.
-- Rule-based models (first_touch, last_touch, linear, position_based, w_shaped, time_decay) credit each touch of a
-- conversion's path as intermediate.attribution_paths defines; the credits of one conversion sum to 1.
-- markov: the row's conversions are shared among the channels in proportion to their removal effects in the Markov
-- chain fitted on the row's paths (intermediate.markov_removal_effects); within a channel, among its campaigns in
-- proportion to its touches in the row's converting paths (a channel that touched none of them: in all the row's
-- paths).
-- Under every model, the credits of a period and event sum to its conversions.
-- columns:
--   conversion_event: lead or customer
--   model: first_touch, last_touch, linear, position_based, w_shaped, time_decay or markov
--   channel: the channel of the credited touches
--   campaign_id: their campaign; NULL for touches without one (organic)
--   credit: attributed conversions
--   revenue: for the customer event, credit x the converting account's won revenue in its first 12 months (up to
--     PAYBACK_AS_OF), reporting currency, before gross margin. Under markov, a channel's credit carries the revenue
--     of the conversions its touches led to, touch for touch (a channel that touched none of them: the row's
--     average per conversion), scaled so that the row's revenue is its conversions'. Under every model, the revenue
--     of a period sums to its conversions'. NULL for the lead event: a lead earns no revenue of its own
with monthly_credits as (
    select
        conversion_event,
        cast(date_trunc('month', anchor_date) as date) as month_start,
        converted,
        channel,
        campaign_id,
        count(*) as touches,
        count(*) filter (where touch_position = 1) as paths,
        exact_credit_sum(first_touch) as first_touch,
        exact_credit_sum(last_touch) as last_touch,
        exact_credit_sum(linear) as linear,
        exact_credit_sum(position_based) as position_based,
        exact_credit_sum(w_shaped) as w_shaped,
        exact_credit_sum(time_decay) as time_decay
    from intermediate.attribution_paths
    group by all
),

-- Revenue: of the acquired accounts only (the customer event's converting paths).
monthly_revenue as (
    select
        conversion_event,
        cast(date_trunc('month', anchor_date) as date) as month_start,
        converted,
        channel,
        campaign_id,
        exact_sum(revenue_12m) as touched_revenue,
        exact_sum(case when touch_position = 1 then revenue_12m end) as path_revenue,
        exact_sum(first_touch * revenue_12m) as first_touch_revenue,
        exact_sum(last_touch * revenue_12m) as last_touch_revenue,
        exact_sum(linear * revenue_12m) as linear_revenue,
        exact_sum(position_based * revenue_12m) as position_based_revenue,
        exact_sum(w_shaped * revenue_12m) as w_shaped_revenue,
        exact_sum(time_decay * revenue_12m) as time_decay_revenue
    from intermediate.attribution_paths
    where conversion_event = 'customer' and converted
    group by all
),

credits_by_period as (
    select
        calendar.period_grain,
        calendar.period_start,
        calendar.period_end,
        monthly_credits.conversion_event,
        monthly_credits.converted,
        monthly_credits.channel,
        monthly_credits.campaign_id,
        sum(monthly_credits.touches) as touches,
        sum(monthly_credits.paths) as paths,
        exact_credit_sum(monthly_credits.first_touch) as first_touch,
        exact_credit_sum(monthly_credits.last_touch) as last_touch,
        exact_credit_sum(monthly_credits.linear) as linear,
        exact_credit_sum(monthly_credits.position_based) as position_based,
        exact_credit_sum(monthly_credits.w_shaped) as w_shaped,
        exact_credit_sum(monthly_credits.time_decay) as time_decay
    from monthly_credits
    inner join intermediate.calendar on calendar.day = monthly_credits.month_start
    group by all
),

revenue_by_period as (
    select
        calendar.period_grain,
        calendar.period_start,
        monthly_revenue.conversion_event,
        monthly_revenue.converted,
        monthly_revenue.channel,
        monthly_revenue.campaign_id,
        exact_sum(monthly_revenue.touched_revenue) as touched_revenue,
        exact_sum(monthly_revenue.path_revenue) as path_revenue,
        exact_sum(monthly_revenue.first_touch_revenue) as first_touch_revenue,
        exact_sum(monthly_revenue.last_touch_revenue) as last_touch_revenue,
        exact_sum(monthly_revenue.linear_revenue) as linear_revenue,
        exact_sum(monthly_revenue.position_based_revenue) as position_based_revenue,
        exact_sum(monthly_revenue.w_shaped_revenue) as w_shaped_revenue,
        exact_sum(monthly_revenue.time_decay_revenue) as time_decay_revenue
    from monthly_revenue
    inner join intermediate.calendar on calendar.day = monthly_revenue.month_start
    group by all
),

-- NULL revenue for the lead event: a lead earns none; 0 for acquisitions without revenue.
by_period as (
    select
        credits_by_period.*,
        revenue_by_period.* exclude (period_grain, period_start, conversion_event, converted, channel, campaign_id)
    from credits_by_period
    left join revenue_by_period
        on revenue_by_period.period_grain = credits_by_period.period_grain
        and revenue_by_period.period_start = credits_by_period.period_start
        and revenue_by_period.conversion_event = credits_by_period.conversion_event
        and revenue_by_period.converted = credits_by_period.converted
        and revenue_by_period.channel = credits_by_period.channel
        and revenue_by_period.campaign_id is not distinct from credits_by_period.campaign_id
),

converting as (
    select * from by_period where converted
),

rule_based as (
    select period_grain, period_start, period_end, conversion_event, 'first_touch' as model, channel, campaign_id,
        first_touch as credit, first_touch_revenue as revenue from converting
    union all
    select period_grain, period_start, period_end, conversion_event, 'last_touch', channel, campaign_id,
        last_touch, last_touch_revenue from converting
    union all
    select period_grain, period_start, period_end, conversion_event, 'linear', channel, campaign_id,
        linear, linear_revenue from converting
    union all
    select period_grain, period_start, period_end, conversion_event, 'position_based', channel, campaign_id,
        position_based, position_based_revenue from converting
    union all
    select period_grain, period_start, period_end, conversion_event, 'w_shaped', channel, campaign_id,
        w_shaped, w_shaped_revenue from converting
    union all
    select period_grain, period_start, period_end, conversion_event, 'time_decay', channel, campaign_id,
        time_decay, time_decay_revenue from converting
),

-- Markov: a channel's touches per campaign, in the row's converting paths and in all its paths.
channel_touches as (
    select
        period_grain,
        period_start,
        conversion_event,
        channel,
        sum(touches) filter (where converted) as converting_touches,
        sum(touches) as all_touches
    from by_period
    group by all
),

row_revenue as (
    select
        period_grain,
        period_start,
        conversion_event,
        exact_sum(path_revenue) as revenue,
        safe_divide(exact_sum(path_revenue), sum(paths)) as revenue_per_conversion
    from converting
    group by all
),

campaign_touches as (
    select
        period_grain,
        period_start,
        period_end,
        conversion_event,
        channel,
        campaign_id,
        coalesce(sum(touches) filter (where converted), 0) as converting_touches,
        sum(touches) as all_touches,
        exact_sum(case when converted then touched_revenue end) as touched_revenue
    from by_period
    group by all
),

markov_touch_weighted as (
    select
        campaign_touches.period_grain,
        campaign_touches.period_start,
        campaign_touches.period_end,
        campaign_touches.conversion_event,
        campaign_touches.channel,
        campaign_touches.campaign_id,
        case
            when channel_touches.converting_touches > 0
                then effects.credit * campaign_touches.converting_touches / channel_touches.converting_touches
            else effects.credit * campaign_touches.all_touches / channel_touches.all_touches
        end as credit,
        case
            when channel_touches.converting_touches > 0
                then effects.credit * coalesce(campaign_touches.touched_revenue, 0) / channel_touches.converting_touches
            else effects.credit * campaign_touches.all_touches / channel_touches.all_touches
                * row_revenue.revenue_per_conversion
        end as touch_weighted_revenue,
        row_revenue.revenue as row_revenue
    from campaign_touches
    inner join channel_touches using (period_grain, period_start, conversion_event, channel)
    inner join intermediate.markov_removal_effects as effects
        using (period_grain, period_start, conversion_event, channel)
    left join row_revenue using (period_grain, period_start, conversion_event)
    where campaign_touches.converting_touches > 0 or coalesce(channel_touches.converting_touches, 0) = 0
),

-- The touch-weighted revenue, scaled so that the row's revenue is that of its conversions.
markov_revenue_totals as (
    select period_grain, period_start, conversion_event, exact_sum(touch_weighted_revenue) as touch_weighted_revenue
    from markov_touch_weighted
    group by all
),

markov as (
    select
        markov_touch_weighted.period_grain,
        markov_touch_weighted.period_start,
        markov_touch_weighted.period_end,
        markov_touch_weighted.conversion_event,
        'markov' as model,
        markov_touch_weighted.channel,
        markov_touch_weighted.campaign_id,
        markov_touch_weighted.credit,
        case when markov_touch_weighted.conversion_event = 'customer' then coalesce(
            markov_touch_weighted.touch_weighted_revenue
            * safe_divide(markov_touch_weighted.row_revenue, totals.touch_weighted_revenue), 0)
        end as revenue
    from markov_touch_weighted
    inner join markov_revenue_totals as totals using (period_grain, period_start, conversion_event)
)

select * from rule_based
union all
select * from markov

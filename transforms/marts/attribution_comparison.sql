-- marts.attribution_comparison: one row per period, conversion event and channel: the share of the period's
-- conversions each model credits the channel with, side by side (METRICS: Attribution; marts.attribution holds the
-- credits). A model's shares of a period and event sum to 1 over its channels.
-- columns:
--   conversions: conversions of the period and event (leads, or accounts acquired)
--   first_touch: share of the conversions credited to the channel by first touch
--   last_touch: same by last touch
--   linear: same, linear
--   position_based: same, position-based (40/20/40)
--   w_shaped: same, W-shaped (30/30/30, 10 for the rest)
--   time_decay: same, time decay
--   markov: same, the Markov chain's removal effects
with channels as (
    select
        period_grain,
        period_start,
        period_end,
        conversion_event,
        model,
        channel,
        exact_sum(credit) as credit
    from marts.attribution
    group by all
),

conversions as (
    select period_grain, period_start, conversion_event, exact_sum(credit) as conversions
    from marts.attribution
    where model = 'linear'
    group by all
)

select
    channels.period_grain,
    channels.period_start,
    channels.period_end,
    channels.conversion_event,
    channels.channel,
    cast(round(conversions.conversions) as bigint) as conversions,
    coalesce(safe_divide(exact_sum(case when model = 'first_touch' then credit end), conversions.conversions), 0)
        as first_touch,
    coalesce(safe_divide(exact_sum(case when model = 'last_touch' then credit end), conversions.conversions), 0)
        as last_touch,
    coalesce(safe_divide(exact_sum(case when model = 'linear' then credit end), conversions.conversions), 0) as linear,
    coalesce(safe_divide(exact_sum(case when model = 'position_based' then credit end), conversions.conversions), 0)
        as position_based,
    coalesce(safe_divide(exact_sum(case when model = 'w_shaped' then credit end), conversions.conversions), 0)
        as w_shaped,
    coalesce(safe_divide(exact_sum(case when model = 'time_decay' then credit end), conversions.conversions), 0)
        as time_decay,
    coalesce(safe_divide(exact_sum(case when model = 'markov' then credit end), conversions.conversions), 0) as markov
from channels
inner join conversions using (period_grain, period_start, conversion_event)
group by channels.period_grain, channels.period_start, channels.period_end, channels.conversion_event, channels.channel,
    conversions.conversions
order by channels.period_grain, channels.period_start, channels.conversion_event, channels.channel

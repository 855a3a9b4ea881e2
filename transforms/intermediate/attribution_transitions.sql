-- intermediate.attribution_transitions: the steps of every path of intermediate.attribution_paths, counted per
-- period row and conversion event: what the Markov chain of that row is fitted on (METRICS: Attribution). A state
-- is the channels of the last ATTRIBUTION_MARKOV_ORDER touches ([] at the start of a path); repeated channels are
-- kept. Each touch is a step from the state before it to its channel; each path ends with a step from the state
-- after its last touch to conversion or to null (it never converted). A period row holds the paths dated in it:
-- converting paths by their conversion, the others by their last touch (the year row: the year's paths).
-- columns:
--   from_state: the channels of the last touches before the step, oldest first ([]: the start of a path)
--   to_channel: the channel of the next touch; NULL when the path ends
--   ends_in: conversion or null when the path ends there; NULL for a step to a touch
--   transitions: how many steps of the period row's paths go from from_state to that channel or end
with steps as (
    select conversion_event, anchor_date, markov_state as from_state, channel as to_channel,
        cast(null as varchar) as ends_in
    from intermediate.attribution_paths
    union all
    select
        conversion_event,
        anchor_date,
        list_slice(list_append(markov_state, channel), -getvariable('attribution_markov_order'), -1),
        null,
        case when converted then 'conversion' else 'null' end
    from intermediate.attribution_paths
    where touch_position = path_length
),

monthly as (
    select
        conversion_event,
        cast(date_trunc('month', anchor_date) as date) as month_start,
        from_state,
        to_channel,
        ends_in,
        count(*) as transitions
    from steps
    group by all
)

-- Every grain's periods start on a month's first day, so a period's steps are those of its months.
select
    calendar.period_grain,
    calendar.period_start,
    calendar.period_end,
    monthly.conversion_event,
    monthly.from_state,
    monthly.to_channel,
    monthly.ends_in,
    sum(monthly.transitions) as transitions
from monthly
inner join intermediate.calendar on calendar.day = monthly.month_start
group by all

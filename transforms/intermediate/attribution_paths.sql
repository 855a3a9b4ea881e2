-- intermediate.attribution_paths: one row per touch of each path, with its credit under every rule-based model
-- (METRICS: Attribution). A path is the touches leading to one conversion, ordered by time (ties by touchpoint_id):
--   lead: a contact becoming a lead (intermediate.leads.lead_at); the path is the contact's own touches;
--   customer: an account's acquisition (intermediate.customers.acquired_at); the path is every touch of the
--     account's contacts, as B2B buying groups work.
-- Touches after the conversion, and those more than ATTRIBUTION_LOOKBACK_DAYS before it, are no part of the path.
-- A path that never converted (a touched contact the CRM does not list, never a lead; an account never acquired)
-- holds its touches up to PAYBACK_AS_OF, within the lookback before its last one, and is dated by that last touch:
-- the Markov chain needs it. An empty path gets the CRM's original source as its single touch (the contact's; for
-- an account, its earliest lead's), at the lead date; a path without one is not kept when it never converted.
-- Rule-based credits of one conversion sum to 1 (n touches, touch i):
--   first_touch: 1 to touch 1; last_touch: 1 to touch n; linear: 1/n to each touch (a > b > a gives a 2/3);
--   position_based: n = 1: 1; n = 2: 1/2 each; else 0.4 to the first and the last, 0.2 / (n - 2) to each other;
--   w_shaped: 0.3 to the first touch, 0.3 to the lead-creation touch (the last at or before the lead date), 0.3 to
--     the opportunity-creation touch (the last at or before the opportunity date), 0.1 shared by the other touches;
--     a touch holding two roles adds their shares, and when a role has no touch (a lead's path ends before any
--     opportunity) or no other touch is left, the shares given are scaled up to sum to 1;
--   time_decay: weight 2^(-days before the conversion / ATTRIBUTION_HALF_LIFE_DAYS), divided by the path's total.
-- columns:
--   conversion_event: lead or customer
--   path_id: the contact (lead) or the account (customer) the path leads to
--   account_id: the account of the contact, or the account itself
--   converted: whether the path ended in the conversion (else it is a path that never converted)
--   converted_at: the moment of the conversion (UTC); NULL when it never converted
--   anchor_date: the day that dates the path: its conversion's local date, else its last touch's
--   touch_position: 1 for the first touch of the path, up to path_length
--   path_length: number of touches in the path
--   is_stand_in: the CRM's original source standing in for an empty path
--   lead_touch_position: position of the lead-creation touch (last touch at or before the lead date); NULL if none
--   opportunity_touch_position: position of the opportunity-creation touch (last touch at or before the CRM's
--     opportunity date, else the account's first deal creation); NULL if none
--   markov_state: the channels of the (up to) ATTRIBUTION_MARKOV_ORDER touches before this one: the Markov chain's
--     state this touch leaves ([] at the start of the path)
--   revenue_12m: for a customer conversion, the account's won revenue (deals and orders, refunds included) in the
--     12 months after its acquisition, up to PAYBACK_AS_OF, in the reporting currency (before gross margin), as
--     marts.ltv's realized_ltv_12m counts it; NULL for a lead and for a path that never converted
--   first_touch: credit under first touch (NULL when the path never converted); likewise last_touch, linear,
--     position_based, w_shaped, time_decay
with touches as (
    select touchpoint_id, contact_id, touched_at, channel, campaign_id
    from staging.touchpoints
),

-- Everyone a path can run through: the CRM's contacts, and any touched contact it does not list, which is its own
-- account (as in intermediate.account_map) and never became a lead.
unlisted as (
    select contact_id
    from touches
    anti join intermediate.leads using (contact_id)
    group by contact_id
),

people as (
    select leads.contact_id, leads.account_id, leads.lead_at, leads.original_channel, leads.original_campaign_id,
        contacts.opportunity_at
    from intermediate.leads
    left join staging.contacts using (contact_id)
    union all
    select contact_id, 'contact:' || contact_id, null, null, null, null
    from unlisted
),

first_deals as (
    select account_id, min(created_at) as first_deal_at
    from intermediate.deals
    where account_id is not null
    group by account_id
),

accounts as (
    select
        account_id,
        min(lead_at) as lead_at,
        first(original_channel order by lead_at, contact_id) as original_channel,
        first(original_campaign_id order by lead_at, contact_id) as original_campaign_id,
        min(opportunity_at) as opportunity_at
    from people
    group by account_id
),

revenue_12m as (
    select customers.account_id, exact_sum(revenue_events.revenue_reporting) as revenue_12m
    from intermediate.customers
    inner join intermediate.revenue_events
        on revenue_events.account_id = customers.account_id
        and revenue_events.revenue_date < customers.acquired_date + interval 12 month
        and revenue_events.revenue_date <= getvariable('as_of')
    group by customers.account_id
),

-- One row per path: what ends it, the moments W-shaped needs, and the original source that stands in when empty.
paths as (
    select
        'lead' as conversion_event,
        people.contact_id as path_id,
        people.account_id,
        people.lead_at as converted_at,
        people.lead_at,
        least(people.opportunity_at, first_deals.first_deal_at) as opportunity_at,
        people.original_channel,
        people.original_campaign_id,
        cast(null as double) as revenue_12m
    from people
    left join first_deals using (account_id)
    union all
    select
        'customer',
        account_id,
        account_id,
        customers.acquired_at,
        accounts.lead_at,
        least(accounts.opportunity_at, first_deals.first_deal_at),
        accounts.original_channel,
        accounts.original_campaign_id,
        case when customers.account_id is not null then coalesce(revenue_12m.revenue_12m, 0) end
    from accounts
    full outer join intermediate.customers using (account_id)
    left join first_deals using (account_id)
    left join revenue_12m using (account_id)
),

-- Each path's touches: up to its conversion, or up to PAYBACK_AS_OF when it never converted.
reached as (
    select paths.*, touches.touchpoint_id, touches.touched_at, touches.channel, touches.campaign_id
    from paths
    inner join touches on touches.contact_id = paths.path_id
    where paths.conversion_event = 'lead'
    union all
    select paths.*, touches.touchpoint_id, touches.touched_at, touches.channel, touches.campaign_id
    from paths
    inner join people on people.account_id = paths.path_id
    inner join touches on touches.contact_id = people.contact_id
    where paths.conversion_event = 'customer'
),

in_window as (
    select *
    from reached
    where case when converted_at is not null then touched_at <= converted_at
        else local_date(touched_at) <= getvariable('as_of') end
),

path_ends as (
    select conversion_event, path_id, coalesce(any_value(converted_at), max(touched_at)) as ends_at
    from in_window
    group by conversion_event, path_id
),

within_lookback as (
    select in_window.*, false as is_stand_in
    from in_window
    inner join path_ends using (conversion_event, path_id)
    where in_window.touched_at
        >= path_ends.ends_at - to_days(cast(getvariable('attribution_lookback_days') as integer))
),

stand_ins as (
    select
        paths.*,
        cast(null as varchar) as touchpoint_id,
        coalesce(paths.lead_at, paths.converted_at) as touched_at,
        coalesce(paths.original_channel, 'unknown') as channel,
        paths.original_campaign_id as campaign_id,
        true as is_stand_in
    from paths
    anti join within_lookback using (conversion_event, path_id)
    where paths.converted_at is not null
        or (paths.lead_at is not null and local_date(paths.lead_at) <= getvariable('as_of'))
),

path_touches as (
    select * from within_lookback
    union all by name
    select * from stand_ins
),

positioned as (
    select
        conversion_event,
        path_id,
        account_id,
        converted_at is not null as converted,
        converted_at,
        local_date(coalesce(converted_at, max(touched_at) over path)) as anchor_date,
        cast(row_number() over ordered_path as integer) as touch_position,
        cast(count(*) over path as integer) as path_length,
        touchpoint_id,
        touched_at,
        channel,
        campaign_id,
        is_stand_in,
        nullif(cast(count(*) filter (where touched_at <= lead_at) over path as integer), 0) as lead_touch_position,
        nullif(cast(count(*) filter (where touched_at <= opportunity_at) over path as integer), 0)
            as opportunity_touch_position,
        coalesce(list(channel) over (
            ordered_path rows between getvariable('attribution_markov_order') preceding and 1 preceding
        ), []) as markov_state,
        revenue_12m,
        pow(2, (epoch(touched_at) - epoch(converted_at)) / 86400 / getvariable('attribution_half_life_days'))
            as decay_weight,
        sum(pow(2, (epoch(touched_at) - epoch(converted_at)) / 86400 / getvariable('attribution_half_life_days')))
            over path as path_decay_weight
    from path_touches
    window
        path as (partition by conversion_event, path_id),
        ordered_path as (partition by conversion_event, path_id
                         order by touched_at, touchpoint_id, channel, campaign_id)
),

-- W-shaped: the roles present (first touch always; lead and opportunity creation when a touch holds them) and the
-- touches that hold none.
w_roles as (
    select
        *,
        1 + (lead_touch_position is not null)::integer + (opportunity_touch_position is not null)::integer
            as roles_present,
        path_length - cast(len(list_distinct([1, lead_touch_position, opportunity_touch_position])) as integer)
            as other_touches
    from positioned
)

select
    conversion_event,
    path_id,
    account_id,
    converted,
    converted_at,
    anchor_date,
    touch_position,
    path_length,
    touchpoint_id,
    touched_at,
    channel,
    campaign_id,
    is_stand_in,
    lead_touch_position,
    opportunity_touch_position,
    markov_state,
    revenue_12m,
    case when converted then (touch_position = 1)::double end as first_touch,
    case when converted then (touch_position = path_length)::double end as last_touch,
    case when converted then 1.0 / path_length end as linear,
    case
        when not converted then null
        when path_length = 1 then 1.0
        when path_length = 2 then 0.5
        when touch_position = 1 or touch_position = path_length then 0.4
        else 0.2 / (path_length - 2)
    end as position_based,
    case when converted then
        (0.3 * (touch_position = 1)::integer
         + 0.3 * (touch_position is not distinct from lead_touch_position)::integer
         + 0.3 * (touch_position is not distinct from opportunity_touch_position)::integer
         + case when touch_position not in (1, coalesce(lead_touch_position, 0), coalesce(opportunity_touch_position, 0))
               then 0.1 / other_touches else 0 end)
        / (0.3 * roles_present + case when other_touches > 0 then 0.1 else 0 end)
    end as w_shaped,
    case
        when not converted then null
        when path_length = 1 then 1.0
        else decay_weight / path_decay_weight
    end as time_decay
from w_roles

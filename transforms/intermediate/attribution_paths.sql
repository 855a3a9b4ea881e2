-- intermediate.attribution_paths: one row per touch of each path, with its credit under every rule-based model
-- (METRICS: Attribution). A path is the touches leading to one conversion, ordered by time (ties by touchpoint_id):
--   lead: a contact becoming a lead (intermediate.leads.lead_at); the path is the contact's own touches;
--   customer: an account's acquisition (intermediate.customers.acquired_at); the path is every touch of the
--     account's contacts, as B2B buying groups work.
-- Touches after the conversion, and those more than ATTRIBUTION_LOOKBACK_DAYS before it, are no part of the path.
-- An account never acquired has a path that never converted: its contacts' touches up to PAYBACK_AS_OF, within the
-- lookback before the last of them, dated by that last touch (the Markov chain needs these paths). An empty path
-- gets the CRM's original source as its single touch (the contact's; for an account, its earliest lead's), at the
-- lead date. Touches of a contact the CRM does not list are no part of any path.
-- Rule-based credits of one conversion sum to 1 (n touches, touch i):
--   first_touch: 1 to touch 1; last_touch: 1 to touch n; linear: 1/n to each touch (a > b > a gives a 2/3);
--   position_based: n = 1: 1; n = 2: 1/2 each; else 0.4 to the first and the last, 0.2 / (n - 2) to each other;
--   w_shaped: 0.3 to the first touch, 0.3 to the lead-creation touch (the last at or before the lead date), 0.3 to
--     the opportunity-creation touch (the last at or before the opportunity date: the CRM's, else the account's
--     first deal creation), 0.1 shared by the other touches; a touch holding two roles adds their shares; a role
--     whose moment is not on the path (an opportunity after a lead's conversion) or has no touch before it is
--     left out, and when a role is left out or no other touch is left, the shares given are scaled up to sum to 1;
--   time_decay: weight 2^(-days before the conversion / ATTRIBUTION_HALF_LIFE_DAYS), divided by the path's total.
-- columns:
--   conversion_event: lead or customer
--   path_id: the contact (lead) or the account (customer) the path leads to
--   converted: whether the path ended in the conversion (else it is a path that never converted)
--   anchor_date: the day that dates the path: its conversion's local date, else its last touch's
--   touch_position: 1 for the first touch of the path, up to path_length
--   path_length: number of touches in the path
--   is_stand_in: the CRM's original source standing in for an empty path
--   markov_state: the channels of the (up to) ATTRIBUTION_MARKOV_ORDER touches before this one: the Markov chain's
--     state this touch leaves ([] at the start of the path)
--   revenue_12m: for a customer conversion, the account's won revenue (deals and orders, refunds included) in the
--     12 months after its acquisition, up to PAYBACK_AS_OF, in the reporting currency (before gross margin), as
--     marts.ltv's realized_ltv_12m counts it; NULL for a lead and for a path that never converted
--   first_touch: credit under first touch (NULL when the path never converted); likewise last_touch, linear,
--     position_based, w_shaped, time_decay
with crm_opportunities as (
    select contact_id, opportunity_at
    from staging.contacts
    where opportunity_at is not null
),

people as (
    select leads.contact_id, leads.account_id, leads.lead_at, leads.original_channel, leads.original_campaign_id,
        crm_opportunities.opportunity_at
    from intermediate.leads
    left join crm_opportunities using (contact_id)
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
lead_paths as (
    select
        people.contact_id as path_id,
        people.lead_at as converted_at,
        people.lead_at,
        least(people.opportunity_at, first_deals.first_deal_at) as opportunity_at,
        people.original_channel,
        people.original_campaign_id,
        cast(null as double) as revenue_12m
    from people
    left join first_deals using (account_id)
),

customer_paths as (
    select
        account_id as path_id,
        customers.acquired_at as converted_at,
        accounts.lead_at,
        least(accounts.opportunity_at, first_deals.first_deal_at) as opportunity_at,
        accounts.original_channel,
        accounts.original_campaign_id,
        case when customers.account_id is not null then coalesce(revenue_12m.revenue_12m, 0) end as revenue_12m
    from accounts
    full outer join intermediate.customers using (account_id)
    left join first_deals using (account_id)
    left join revenue_12m using (account_id)
),

paths as (
    select 'lead' as conversion_event, * from lead_paths
    union all
    select 'customer', * from customer_paths
),

-- The moment PAYBACK_AS_OF ends (the next midnight in the reporting time zone), in UTC.
as_of_end as (
    select local_midnight_utc(getvariable('as_of') + 1) as ends_at
),

-- Each touch with the ends of both paths it can be part of: its contact's lead and its account's acquisition.
touch_ends as (
    select
        touchpoints.touchpoint_id,
        touchpoints.contact_id,
        touchpoints.touched_at,
        touchpoints.channel,
        touchpoints.campaign_id,
        people.account_id,
        people.lead_at,
        customer_paths.converted_at as acquired_at
    from staging.touchpoints
    inner join people using (contact_id)
    inner join customer_paths on customer_paths.path_id = people.account_id
),

-- A path's touches: up to its conversion and within the lookback before it; or, when it never converted, up to
-- PAYBACK_AS_OF (the lookback then counts from its last touch, below).
reached as (
    select 'lead' as conversion_event, contact_id as path_id, lead_at as converted_at, touchpoint_id, touched_at,
        channel, campaign_id
    from touch_ends
    where touched_at <= lead_at
        and touched_at >= lead_at - to_days(cast(getvariable('attribution_lookback_days') as integer))
    union all
    select 'customer', account_id, acquired_at, touchpoint_id, touched_at, channel, campaign_id
    from touch_ends
    where case
        when acquired_at is not null then touched_at <= acquired_at
            and touched_at >= acquired_at - to_days(cast(getvariable('attribution_lookback_days') as integer))
        else touched_at < (select ends_at from as_of_end)
    end
),

last_touches as (
    select conversion_event, path_id, max(touched_at) as last_touched_at
    from reached
    where converted_at is null
    group by all
),

kept as (
    select
        reached.conversion_event,
        reached.path_id,
        reached.touchpoint_id,
        reached.touched_at,
        reached.channel,
        reached.campaign_id,
        local_date(coalesce(reached.converted_at, last_touches.last_touched_at)) as anchor_date
    from reached
    left join last_touches using (conversion_event, path_id)
    where reached.converted_at is not null
        or reached.touched_at
            >= last_touches.last_touched_at - to_days(cast(getvariable('attribution_lookback_days') as integer))
),

-- Paths with touches: positions, the roles' positions, the Markov state and the time-decay weights.
positioned as (
    select
        conversion_event,
        path_id,
        paths.converted_at,
        anchor_date,
        cast(row_number() over ordered_path as integer) as touch_position,
        cast(count(*) over whole_path as integer) as path_length,
        touchpoint_id,
        touched_at,
        channel,
        campaign_id,
        false as is_stand_in,
        case when paths.lead_at <= paths.converted_at then nullif(cast(
            count(*) filter (where touched_at <= paths.lead_at) over whole_path as integer), 0) end
            as lead_touch_position,
        case when paths.opportunity_at <= paths.converted_at then nullif(cast(
            count(*) filter (where touched_at <= paths.opportunity_at) over whole_path as integer), 0) end
            as opportunity_touch_position,
        coalesce(list(channel) over (
            ordered_path rows between getvariable('attribution_markov_order') preceding and 1 preceding
        ), []) as markov_state,
        paths.revenue_12m,
        pow(2, (epoch(touched_at) - epoch(paths.converted_at)) / 86400 / getvariable('attribution_half_life_days'))
            as decay_weight,
        sum(pow(2, (epoch(touched_at) - epoch(paths.converted_at)) / 86400
                / getvariable('attribution_half_life_days'))) over whole_path as path_decay_weight
    from kept
    inner join paths using (conversion_event, path_id)
    window
        ordered_path as (partition by conversion_event, path_id
                         order by touched_at, touchpoint_id, channel, campaign_id),
        whole_path as (partition by conversion_event, path_id)
),

-- Empty paths: the original source, as a single touch at the lead date.
stand_ins as (
    select
        conversion_event,
        path_id,
        converted_at,
        local_date(coalesce(converted_at, lead_at)) as anchor_date,
        1 as touch_position,
        1 as path_length,
        cast(null as varchar) as touchpoint_id,
        coalesce(lead_at, converted_at) as touched_at,
        coalesce(original_channel, 'unknown') as channel,
        original_campaign_id as campaign_id,
        true as is_stand_in,
        case when lead_at <= converted_at then 1 end as lead_touch_position,
        case when coalesce(lead_at, converted_at) <= opportunity_at and opportunity_at <= converted_at then 1 end
            as opportunity_touch_position,
        cast([] as varchar[]) as markov_state,
        revenue_12m,
        1.0 as decay_weight,
        1.0 as path_decay_weight
    from paths
    anti join (select distinct conversion_event, path_id from kept) as touched using (conversion_event, path_id)
    where converted_at is not null or lead_at < (select ends_at from as_of_end)
),

-- W-shaped: the roles present (first touch always; lead and opportunity creation when a touch holds them) and the
-- touches that hold none.
path_touches as (
    select
        *,
        converted_at is not null as converted,
        1 + (lead_touch_position is not null)::integer + (opportunity_touch_position is not null)::integer
            as roles_present,
        path_length - cast(len(list_distinct([1, lead_touch_position, opportunity_touch_position])) as integer)
            as other_touches
    from (select * from positioned union all select * from stand_ins)
)

select
    conversion_event,
    path_id,
    converted,
    anchor_date,
    touch_position,
    path_length,
    touchpoint_id,
    touched_at,
    channel,
    campaign_id,
    is_stand_in,
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
from path_touches

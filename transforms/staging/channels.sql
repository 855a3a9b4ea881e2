-- staging.channels: one row per distinct thing the sources say about a channel — what a row of spend, of touchpoints
-- or a contact's original source gives (platform, campaign, UTM source and medium, a channel name of its own) — with
-- the channel it gets (docs/channels.md). A channel name the source gives that is a known channel (one the channel
-- map gives) is kept; else the first rule of the map that matches gives it; else it is unmapped: it keeps the name
-- the source gives (else its UTM medium, else its platform), and the channel_values_mapped check lists it. A touch or
-- contact that names only a campaign is matched on that campaign's platform and name, from the spend.
-- columns:
--   channel_key: what the rows say, as they say it (channel_key macro): the key staging.spend, staging.touchpoints and
--     staging.contacts find their channel by
--   used_in: the canonical tables with rows that say it: spend, touchpoints, contacts
--   row_count: how many rows say it
--   platform: the ad platform the rules are matched on (the campaign's, from the spend, when a row gives only its
--     id), as channel_name writes it
--   campaign_name: the campaign name the rules' patterns are searched in (likewise the campaign's)
--   utm_source: the UTM source, as channel_name writes it
--   utm_medium: the UTM medium, as channel_name writes it
--   label: the channel name the source gives, as channel_name writes it
--   channel: the channel; NULL when the rows say nothing at all
--   assigned_by: 'label' (a known channel, as given), 'rule' (a rule of the map), 'unmapped' (neither)
--   rule_number: the rule that gave the channel (staging.channel_map)
with said as (
    select 'spend' as used_in, channel_key(platform, campaign_id, campaign_name, null, null, channel) as channel_key,
        count(*) as row_count
    from staging.all_spend
    group by all
    union all
    select 'touchpoints', channel_key(null, campaign_id, campaign_name, utm_source, utm_medium, channel), count(*)
    from staging.all_touchpoints
    group by all
    union all
    select 'contacts', channel_key(null, original_campaign_id, null, null, null, original_channel), count(*)
    from staging.all_contacts
    group by all
),

keys as (
    select channel_key, list(used_in order by used_in) as used_in, sum(row_count) as row_count
    from said
    group by channel_key
),

-- Each campaign that spends: its platform and latest name, for the touches and contacts that give only its id.
campaigns as (
    select campaign_id, arg_max(platform, spend_date) as platform, arg_max(campaign_name, spend_date) as campaign_name
    from staging.all_spend
    group by campaign_id
),

inputs as (
    select
        keys.channel_key,
        keys.used_in,
        keys.row_count,
        channel_name(coalesce(keys.channel_key.platform, campaigns.platform)) as platform,
        coalesce(nullif(trim(keys.channel_key.campaign_name), ''), campaigns.campaign_name) as campaign_name,
        channel_name(keys.channel_key.utm_source) as utm_source,
        channel_name(keys.channel_key.utm_medium) as utm_medium,
        channel_name(keys.channel_key.label) as label
    from keys
    left join campaigns on campaigns.campaign_id = keys.channel_key.campaign_id
),

first_rules as (
    select inputs.channel_key, min(rules.rule_number) as rule_number
    from inputs
    inner join staging.channel_map as rules
        on (rules.platform is null or list_contains(rules.platform, inputs.platform))
        and (rules.campaign_pattern is null or regexp_matches(inputs.campaign_name, rules.campaign_pattern, 'i'))
        and (rules.utm_source is null or list_contains(rules.utm_source, inputs.utm_source))
        and (rules.utm_medium is null or list_contains(rules.utm_medium, inputs.utm_medium))
        and (rules.label is null or list_contains(rules.label, inputs.label))
    group by inputs.channel_key
),

assigned as (
    select
        inputs.*,
        case
            when inputs.label in (select channel from staging.channel_map) then 'label'
            when first_rules.rule_number is not null then 'rule'
            when coalesce(inputs.label, inputs.utm_source, inputs.utm_medium, inputs.platform, inputs.campaign_name,
                          inputs.channel_key.campaign_id) is not null then 'unmapped'
        end as assigned_by,
        first_rules.rule_number
    from inputs
    left join first_rules using (channel_key)
)

select
    assigned.channel_key,
    assigned.used_in,
    assigned.row_count,
    assigned.platform,
    assigned.campaign_name,
    assigned.utm_source,
    assigned.utm_medium,
    assigned.label,
    case assigned.assigned_by
        when 'label' then assigned.label
        when 'rule' then rules.channel
        else coalesce(assigned.label, assigned.utm_medium, assigned.platform)
    end as channel,
    assigned.assigned_by,
    case when assigned.assigned_by = 'rule' then assigned.rule_number end as rule_number
from assigned
left join staging.channel_map as rules on rules.rule_number = assigned.rule_number

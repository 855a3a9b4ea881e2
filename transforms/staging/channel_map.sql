-- staging.channel_map: the rules of the channel map (CHANNEL_MAP_FILE, else the shipped transforms/channel_map.csv),
-- one per line of the file, in its order (docs/channels.md). A rule gives its channel to what meets every condition
-- it fills; the first rule that matches wins. Its channels are the known channels: a channel a source names that is
-- one of them is kept as it is.
-- columns:
--   rule_number: the rule's place in the file, header and blank lines left out (1: the first rule)
--   channel: the channel the rule gives
--   platform: the ad platforms it accepts (any when NULL): spend's own, or that of the campaign a touch or contact
--     names
--   campaign_pattern: a regular expression searched in the campaign name, case-insensitive (any when NULL)
--   utm_source: the UTM sources it accepts (any when NULL)
--   utm_medium: the UTM media it accepts (any when NULL)
--   label: the channel names of a source it accepts (an export's channel, HubSpot's original source, Salesforce's
--     campaign type or lead source; any when NULL)
with rules as (
    select *
    from read_csv(getvariable('channel_map_file'), header = true, all_varchar = true, delim = ',', quote = '"',
                  escape = '"') with ordinality
)

select
    cast(ordinality as integer) as rule_number,
    channel_name(channel) as channel,
    nullif([channel_name(value) for value in string_split(platform, '|')], []) as platform,
    nullif(trim(campaign_pattern), '') as campaign_pattern,
    nullif([channel_name(value) for value in string_split(utm_source, '|')], []) as utm_source,
    nullif([channel_name(value) for value in string_split(utm_medium, '|')], []) as utm_medium,
    nullif([channel_name(value) for value in string_split(label, '|')], []) as label
from rules
where channel_name(channel) is not null

-- staging.spend: one row per ad platform, campaign and day, from every configured source (staging.all_spend): paid
-- media spend in the platform's currency, with the channel the channel map gives it (staging.channels).
-- columns:
--   channel: the channel of the campaign's spend (the export's own when it is a known channel, else the channel map's
--     for the platform and campaign name)
select all_spend.* replace (coalesce(channels.channel, 'unknown') as channel)
from staging.all_spend
left join staging.channels
    on channels.channel_key = channel_key(all_spend.platform, all_spend.campaign_id, all_spend.campaign_name, null,
                                          null, all_spend.channel)

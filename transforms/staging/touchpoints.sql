-- staging.touchpoints: one row per interaction of a contact with a channel (ad click, form fill, event, meeting),
-- from every configured source (staging.all_touchpoints), with the channel the channel map gives it
-- (staging.channels): so touches and spend meet on the same channel names.
-- columns:
--   channel: the touch's channel (the source's own when it is a known channel, else the channel map's for its UTM
--     source and medium, its campaign, or its source's name; 'unknown' when the touch says nothing)
select all_touchpoints.* replace (coalesce(channels.channel, 'unknown') as channel)
from staging.all_touchpoints
left join staging.channels
    on channels.channel_key = channel_key(null, all_touchpoints.campaign_id, all_touchpoints.campaign_name,
                                          all_touchpoints.utm_source, all_touchpoints.utm_medium,
                                          all_touchpoints.channel)

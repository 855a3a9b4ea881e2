-- key: touchpoint_id
-- required: contact_id, touched_at, channel
-- staging.exports_touchpoints: (generic exports) one row per interaction of a contact with a channel (ad click, form
-- fill, event, ...). channel, campaign_name and the UTM source and medium as the export gives them: staging.touchpoints
-- gives every source's touches their channel from the channel map.
with source as (
    select * from raw_exports.touchpoints
),

renamed as (
    select
        'exports' as source_system,
        cast(touchpoint_id as varchar) as touchpoint_id,
        cast(contact_id as varchar) as contact_id,
        touched_at,
        channel,
        cast(campaign_id as varchar) as campaign_id,
        campaign_name,
        utm_source,
        utm_medium,
        lower(touch_type) as touch_type
    from source
)

select * from renamed

-- staging.hubspot_touchpoints: (HubSpot) one touchpoint per live contact: its original source
-- (hs_analytics_source, with hs_analytics_source_data_2 as the campaign) at its creation time.
with source as (
    select * from raw_hubspot.contacts
    where not coalesce(archived, false) and nullif(hs_analytics_source, '') is not null
),

renamed as (
    select
        'hubspot' as source_system,
        'hubspot-original-source:' || id as touchpoint_id,
        id as contact_id,
        timezone('UTC', try_cast(createdate as timestamptz)) as touched_at,
        regexp_replace(lower(trim(hs_analytics_source)), '[^a-z0-9]+', '_', 'g') as channel,
        nullif(hs_analytics_source_data_2, '') as campaign_id,
        'original_source' as touch_type
    from source
)

select * from renamed

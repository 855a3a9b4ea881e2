-- key: touchpoint_id
-- required: contact_id, touched_at, channel
-- staging.hubspot_touchpoints: (HubSpot) the touchpoints a contact's record holds: its original source
-- (hs_analytics_source, with hs_analytics_source_data_2 as the campaign) at its creation time, and each
-- lifecycle stage it reached (lead, MQL, SQL, opportunity, customer) at the stage's date, under the same source.
with source as (
    select * from raw_hubspot.contacts
    where not coalesce(archived, false)
),

stages as (
    select
        id,
        hs_analytics_source,
        hs_analytics_source_data_2,
        unnest([
            {'stage': 'original_source', 'at': createdate},
            {'stage': 'lead', 'at': hs_lifecyclestage_lead_date},
            {'stage': 'marketingqualifiedlead', 'at': hs_lifecyclestage_marketingqualifiedlead_date},
            {'stage': 'salesqualifiedlead', 'at': hs_lifecyclestage_salesqualifiedlead_date},
            {'stage': 'opportunity', 'at': hs_lifecyclestage_opportunity_date},
            {'stage': 'customer', 'at': hs_lifecyclestage_customer_date}
        ]) as touch
    from source
),

renamed as (
    select
        'hubspot' as source_system,
        'hubspot-' || touch.stage || ':' || id as touchpoint_id,
        id as contact_id,
        parse_utc(touch.at) as touched_at,
        nullif(hs_analytics_source, '') as channel,
        nullif(hs_analytics_source_data_2, '') as campaign_id,
        case when touch.stage = 'original_source' then 'original_source' else 'lifecycle_' || touch.stage end
            as touch_type
    from stages
    where touch.at is not null and (touch.stage <> 'original_source' or nullif(hs_analytics_source, '') is not null)
)

select * from renamed

-- key: spend_date, platform, campaign_id
-- required: spend, currency
-- staging.exports_spend: (generic exports) one row per ad platform, campaign and day: paid media spend in the platform's currency.
-- columns:
--   channel: as the export gives it (staging.spend gives every source's spend its channel from the channel map)
--   conversions: platform-reported conversions (a UI report's Conversions, Meta's Results); the ad_spend export has none
with source as (
    select * from raw_exports.ad_spend
),

renamed as (
    select
        'exports' as source_system,
        "date" as spend_date,
        lower(platform) as platform,
        cast(account_id as varchar) as ad_account_id,
        cast(campaign_id as varchar) as campaign_id,
        campaign_name,
        channel,
        spend,
        upper(currency) as currency,
        impressions,
        clicks,
        leads,
        conversions
    from source
)

select * from renamed

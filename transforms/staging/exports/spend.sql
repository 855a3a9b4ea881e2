-- staging.exports_spend: (generic exports) one row per ad platform, campaign and day: paid media spend in the platform's currency.
-- The channel is the export's channel, else the platform name.
-- columns:
--   conversions: platform-reported conversions (a UI report's Conversions, Meta's Results)
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
        regexp_replace(lower(trim(coalesce(channel, platform))), '[^a-z0-9]+', '_', 'g') as channel,
        spend,
        upper(currency) as currency,
        impressions,
        clicks,
        leads,
        conversions
    from source
)

select * from renamed

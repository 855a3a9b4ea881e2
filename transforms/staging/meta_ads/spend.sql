-- key: spend_date, platform, campaign_id
-- required: spend, currency
-- staging.meta_ads_spend: (Meta Marketing API) one row per ad account, campaign and day: the amount spent Meta
-- reports, in the account's currency. Days the API restated replaced the old ones at the sync.
-- columns:
--   channel: none of its own: staging.spend gives it from the channel map (platform and campaign name)
--   clicks: all clicks (Meta's `clicks`; link clicks alone are raw_meta_ads.campaign_daily.inline_link_clicks)
--   leads: Meta's `lead` actions (lead forms on Facebook and Instagram, and pixel leads)
--   conversions: the total of Meta's `conversions` (its standard conversion events)
with source as (
    select * from raw_meta_ads.campaign_daily
),

renamed as (
    select
        'meta_ads' as source_system,
        "date" as spend_date,
        platform,
        account_id as ad_account_id,
        campaign_id,
        campaign_name,
        cast(null as varchar) as channel,
        spend,
        upper(currency) as currency,
        cast(impressions as double) as impressions,
        cast(clicks as double) as clicks,
        leads,
        conversions
    from source
)

select * from renamed

-- key: spend_date, platform, campaign_id
-- required: spend, currency
-- staging.google_ads_spend: (Google Ads API) one row per customer, campaign and day: the cost Google reports, in the
-- customer's currency. Days the API restated replaced the old ones at the sync.
-- columns:
--   channel: none of its own: staging.spend gives it from the channel map (platform and campaign name)
--   spend: cost_micros / 1,000,000 (Google counts cost in millionths of the currency)
--   conversions: conversions as Google Ads reports them (its conversion actions and attribution model)
with source as (
    select * from raw_google_ads.campaign_daily
),

renamed as (
    select
        'google_ads' as source_system,
        "date" as spend_date,
        platform,
        account_id as ad_account_id,
        campaign_id,
        campaign_name,
        cast(null as varchar) as channel,
        cast(cost_micros as double) / 1000000 as spend,
        upper(currency) as currency,
        cast(impressions as double) as impressions,
        cast(clicks as double) as clicks,
        cast(null as double) as leads,
        conversions
    from source
)

select * from renamed

-- key: spend_date, platform, campaign_id
-- required: spend, currency
-- staging.linkedin_ads_spend: (LinkedIn Marketing API) one row per ad account, campaign and day: the cost LinkedIn
-- reports in the account's currency. Days the API restated replaced the old ones at the sync.
-- columns:
--   channel: none of its own: staging.spend gives it from the channel map (platform and campaign name)
--   spend: costInLocalCurrency, in the account's currency
--   leads: one-click leads (LinkedIn Lead Gen Forms)
--   conversions: external website conversions (LinkedIn Insight Tag conversions)
with source as (
    select * from raw_linkedin_ads.campaign_daily
),

renamed as (
    select
        'linkedin_ads' as source_system,
        "date" as spend_date,
        platform,
        account_id as ad_account_id,
        campaign_id,
        campaign_name,
        cast(null as varchar) as channel,
        cost_in_local_currency as spend,
        upper(currency) as currency,
        cast(impressions as double) as impressions,
        cast(clicks as double) as clicks,
        cast(one_click_leads as double) as leads,
        cast(external_website_conversions as double) as conversions
    from source
)

select * from renamed

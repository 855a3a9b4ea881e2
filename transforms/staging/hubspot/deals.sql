-- key: deal_id
-- required: status, created_at
-- staging.hubspot_deals: (HubSpot) one row per live deal. Won or lost comes from its pipeline stage (closed with
-- probability 1 = won, closed otherwise = lost). company_id is its (first associated) company when that company is
-- live, else NULL; contact_id its primary live contact (staging.hubspot_deal_contacts, merges resolved).
-- A deal without deal_currency_code is in the portal's currency, taken to be REPORTING_CURRENCY.
with source as (
    select * from raw_hubspot.deals
    where not coalesce(archived, false)
),

stages as (
    select stage_id, is_closed, probability from raw_hubspot.deal_pipelines
),

primary_contacts as (
    select deal_id, contact_id from staging.hubspot_deal_contacts
    where is_primary
),

resolved as (
    select
        source.*,
        primary_contacts.contact_id,
        hubspot_accounts.account_id as company_id,
        case
            when stages.is_closed and stages.probability >= 1 then 'won'
            when stages.is_closed then 'lost'
            when source.hs_is_closed_won = 'true' then 'won'
            else 'open'
        end as status
    from source
    left join stages on stages.stage_id = source.dealstage
    left join primary_contacts on primary_contacts.deal_id = source.id
    left join staging.hubspot_accounts on hubspot_accounts.account_id = nullif(source.primary_company_id, '')
),

renamed as (
    select
        'hubspot' as source_system,
        id as deal_id,
        company_id,
        contact_id,
        status,
        case lower(dealtype) when 'newbusiness' then 'new' when 'existingbusiness' then 'expansion' end as deal_type,
        parse_utc(createdate) as created_at,
        case when status in ('won', 'lost') then parse_utc(closedate) end as closed_at,
        try_cast(amount as double) as amount,
        upper(coalesce(nullif(deal_currency_code, ''), getvariable('reporting_currency'))) as currency,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end,
        pipeline,
        dealstage as stage,
        updated_at
    from resolved
)

select * from renamed

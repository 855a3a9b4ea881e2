-- key: deal_id
-- required: status, created_at
-- staging.salesforce_deals: (Salesforce) one row per Opportunity that is not deleted. Won = IsWon, lost = closed
-- and not won; the close date (a date) is midnight in the reporting time zone. company_id is its Account when
-- that Account is not deleted, else NULL; contact_id its primary contact (staging.salesforce_deal_contacts).
-- CurrencyIsoCode in multi-currency orgs, else REPORTING_CURRENCY.
with source as (
    select * from raw_salesforce.opportunities
    where not coalesce(is_deleted, false)
),

primary_contacts as (
    select deal_id, contact_id from staging.salesforce_deal_contacts
    where is_primary
),

renamed as (
    select
        'salesforce' as source_system,
        source.id as deal_id,
        salesforce_accounts.account_id as company_id,
        primary_contacts.contact_id,
        case when source.is_won then 'won' when source.is_closed then 'lost' else 'open' end as status,
        case lower(source.type)
            when 'new customer' then 'new'
            when 'new business' then 'new'
            when 'existing customer - upgrade' then 'expansion'
            when 'existing customer - replacement' then 'renewal'
            when 'renewal' then 'renewal'
        end as deal_type,
        parse_utc(source.created_date) as created_at,
        case when source.is_closed then local_midnight_utc(source.close_date) end as closed_at,
        cast(source.amount as double) as amount,
        upper(coalesce(source.currency_iso_code, getvariable('reporting_currency'))) as currency,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end,
        cast(null as varchar) as pipeline,
        source.stage_name as stage,
        source.updated_at
    from source
    left join primary_contacts on primary_contacts.deal_id = source.id
    left join staging.salesforce_accounts on salesforce_accounts.account_id = source.account_id
)

select * from renamed

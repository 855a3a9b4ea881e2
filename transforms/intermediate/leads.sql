-- intermediate.leads: one row per contact, a lead from the day it became one (CRM lead date, else its creation
-- date — METRICS: Customers and leads), with its account (intermediate.account_map), its segments — country,
-- industry and company size band (the contact's, else its company's) — and the channel and campaign it came by.
-- That is its first touch (METRICS: Attribution): the earliest of its touchpoints up to the moment it became a
-- lead (a touch after it is no part of its path); with none, the CRM's original source of the contact.
-- columns:
--   channel: channel of the first touch up to the lead date, else original_channel, else 'unknown'
--   campaign_id: campaign of that same first touch, else original_campaign_id
--   original_channel: the contact's original source as its CRM records it
--   original_campaign_id: the campaign of that original source
with contacts as (
    select
        contacts.*,
        account_map.account_id,
        coalesce(contacts.lead_at, contacts.created_at) as became_lead_at
    from staging.contacts
    inner join intermediate.account_map
        on account_map.record_type = 'contact' and account_map.record_id = contacts.contact_id
),

first_touches as (
    select
        contacts.contact_id,
        first(touchpoints.channel order by touchpoints.touched_at, touchpoints.touchpoint_id) as channel,
        first(touchpoints.campaign_id order by touchpoints.touched_at, touchpoints.touchpoint_id) as campaign_id
    from contacts
    inner join staging.touchpoints
        on touchpoints.contact_id = contacts.contact_id and touchpoints.touched_at <= contacts.became_lead_at
    group by contacts.contact_id
),

segmented as (
    select
        contacts.contact_id,
        contacts.account_id,
        contacts.became_lead_at as lead_at,
        local_date(contacts.became_lead_at) as lead_date,
        contacts.customer_at as crm_customer_at,
        case when first_touches.contact_id is not null then first_touches.channel
            else coalesce(contacts.original_channel, 'unknown') end as channel,
        case when first_touches.contact_id is not null then first_touches.campaign_id
            else contacts.original_campaign_id end as campaign_id,
        contacts.original_channel,
        contacts.original_campaign_id,
        coalesce(contacts.country, accounts.country, 'unknown') as country,
        coalesce(contacts.industry, accounts.industry, 'unknown') as industry,
        case
            when accounts.employees is null then coalesce(contacts.company_size, 'unknown')
            when accounts.employees <= 10 then '1-10'
            when accounts.employees <= 50 then '11-50'
            when accounts.employees <= 200 then '51-200'
            when accounts.employees <= 1000 then '201-1000'
            else '1001+'
        end as company_size
    from contacts
    left join first_touches using (contact_id)
    left join staging.accounts on accounts.account_id = contacts.company_id
)

select * from segmented

-- intermediate.leads: one row per contact, a lead from the day it became one (CRM lead date, else its creation
-- date — METRICS: Customers and leads), with its first touch (channel, campaign) and its segments: country,
-- industry and company size band (the contact's, else its company's).
with contacts as (
    select
        *,
        coalesce(company_id, 'contact:' || contact_id) as account_id,
        coalesce(lead_at, created_at) as became_lead_at
    from staging.contacts
),

first_touches as (
    select
        contact_id,
        first(channel order by touched_at, touchpoint_id) as first_touch_channel,
        first(campaign_id order by touched_at, touchpoint_id) as first_touch_campaign_id
    from staging.touchpoints
    group by contact_id
),

segmented as (
    select
        contacts.contact_id,
        contacts.account_id,
        contacts.became_lead_at as lead_at,
        local_date(contacts.became_lead_at) as lead_date,
        contacts.customer_at as crm_customer_at,
        coalesce(first_touches.first_touch_channel, contacts.original_channel, 'unknown') as channel,
        coalesce(first_touches.first_touch_campaign_id, contacts.original_campaign_id) as campaign_id,
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

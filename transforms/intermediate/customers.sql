-- intermediate.customers: one row per account that became a customer (METRICS: Customers and leads, Refunds, Churn,
-- Attribution). Accounts are those of intermediate.account_map: one buyer is one account, so one win makes one
-- customer. Acquired at the close of its first won deal; with no won deal, at its first purchase (an order with a
-- positive amount: a refund or cancellation never acquires); else at the CRM customer date of one of its contacts
-- that is on no won deal of any account (a contact on a won deal is that deal's account's buyer, whose date is
-- already counted there). Churned, once the date has passed at PAYBACK_AS_OF: a contractual account (one with
-- contract dates) on the end date of its last contract; a transactional account ACTIVE_WINDOW_DAYS after its last
-- purchase (a won deal, or an order with a positive amount: a refund restarts nothing).
-- Acquisition channel and campaign: the first touch of the account's contacts up to its acquisition, else the
-- original source of its earliest lead. Country, industry and company size: its earliest lead's, else its company's.
-- columns:
--   acquired_by: won_deal, first_order or crm_lifecycle
--   customer_type: contractual or transactional
--   churned_date: the day the account was lost, once that day is before PAYBACK_AS_OF; NULL while active
with first_wins as (
    select account_id, min(closed_at) as first_win_at
    from intermediate.deals
    where status = 'won' and account_id is not null
    group by account_id
),

first_purchases as (
    select account_id, min(ordered_at) as first_purchase_at
    from intermediate.orders
    where is_purchase and account_id is not null
    group by account_id
),

contacts_on_won_deals as (
    select distinct deal_contacts.contact_id
    from staging.deal_contacts
    inner join intermediate.deals using (deal_id)
    where deals.status = 'won'
),

crm_customers as (
    select account_id, min(crm_customer_at) as crm_customer_at
    from intermediate.leads
    where crm_customer_at is not null
        and not exists (select 1 from contacts_on_won_deals where contacts_on_won_deals.contact_id = leads.contact_id)
    group by account_id
),

acquired as (
    select
        account_id,
        coalesce(first_wins.first_win_at, first_purchases.first_purchase_at, crm_customers.crm_customer_at)
            as acquired_at,
        case
            when first_wins.first_win_at is not null then 'won_deal'
            when first_purchases.first_purchase_at is not null then 'first_order'
            else 'crm_lifecycle'
        end as acquired_by
    from first_wins
    full outer join first_purchases using (account_id)
    full outer join crm_customers using (account_id)
),

contracts as (
    select account_id, max(contract_end) as last_contract_end
    from intermediate.deals
    where status = 'won' and contract_end is not null
    group by account_id
),

last_purchases as (
    select account_id, max(revenue_date) as last_purchase_date
    from intermediate.revenue_events
    where is_purchase
    group by account_id
),

churn as (
    select
        acquired.account_id,
        case when contracts.last_contract_end is not null then 'contractual' else 'transactional' end
            as customer_type,
        case
            when contracts.last_contract_end is not null
                then contracts.last_contract_end
            else last_purchases.last_purchase_date + cast(getvariable('active_window_days') as integer)
        end as churn_candidate_date
    from acquired
    left join contracts using (account_id)
    left join last_purchases using (account_id)
),

-- The path of the account's acquisition: every touch of its contacts up to that moment.
first_touches as (
    select
        acquired.account_id,
        first(touchpoints.channel order by touchpoints.touched_at, touchpoints.touchpoint_id) as channel,
        first(touchpoints.campaign_id order by touchpoints.touched_at, touchpoints.touchpoint_id) as campaign_id
    from acquired
    inner join intermediate.leads using (account_id)
    inner join staging.touchpoints
        on touchpoints.contact_id = leads.contact_id and touchpoints.touched_at <= acquired.acquired_at
    group by acquired.account_id
),

earliest_leads as (
    select
        account_id,
        first(original_channel order by lead_at, contact_id) as original_channel,
        first(original_campaign_id order by lead_at, contact_id) as original_campaign_id,
        first(country order by lead_at, contact_id) as country,
        first(industry order by lead_at, contact_id) as industry,
        first(company_size order by lead_at, contact_id) as company_size
    from intermediate.leads
    group by account_id
)

select
    acquired.account_id,
    acquired.acquired_at,
    local_date(acquired.acquired_at) as acquired_date,
    acquired.acquired_by,
    churn.customer_type,
    case
        when churn.churn_candidate_date < getvariable('as_of')
            then greatest(churn.churn_candidate_date, local_date(acquired.acquired_at))
    end as churned_date,
    case when first_touches.account_id is not null then first_touches.channel
        else coalesce(earliest_leads.original_channel, 'unknown') end as channel,
    case when first_touches.account_id is not null then first_touches.campaign_id
        else earliest_leads.original_campaign_id end as campaign_id,
    coalesce(earliest_leads.country, accounts.country, 'unknown') as country,
    coalesce(earliest_leads.industry, accounts.industry, 'unknown') as industry,
    coalesce(earliest_leads.company_size, 'unknown') as company_size
from acquired
inner join churn using (account_id)
left join first_touches using (account_id)
left join earliest_leads using (account_id)
left join staging.accounts using (account_id)
where acquired.acquired_at is not null

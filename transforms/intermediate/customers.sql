-- intermediate.customers: one row per account that became a customer (METRICS: Customers and leads, Churn).
-- Acquired at the close of its first won deal; with no won deal, at its first order; else at the CRM customer
-- date of its contacts. Churned, once the date has passed: a contractual account (one with contract dates) on
-- the end date of its last contract; a transactional account ACTIVE_WINDOW_DAYS after its last purchase.
-- Segments come from the account's earliest lead (channel by first touch) and its company.
with first_wins as (
    select account_id, min(closed_at) as first_win_at
    from staging.deals
    where status = 'won'
    group by account_id
),

first_orders as (
    select account_id, min(ordered_at) as first_order_at
    from staging.orders
    group by account_id
),

crm_customers as (
    select account_id, min(crm_customer_at) as crm_customer_at
    from intermediate.leads
    where crm_customer_at is not null
    group by account_id
),

acquired as (
    select
        account_id,
        coalesce(first_wins.first_win_at, first_orders.first_order_at, crm_customers.crm_customer_at) as acquired_at,
        case
            when first_wins.first_win_at is not null then 'won_deal'
            when first_orders.first_order_at is not null then 'first_order'
            else 'crm_lifecycle'
        end as acquired_by
    from first_wins
    full outer join first_orders using (account_id)
    full outer join crm_customers using (account_id)
),

contracts as (
    select account_id, max(contract_end) as last_contract_end
    from staging.deals
    where status = 'won' and contract_end is not null
    group by account_id
),

purchases as (
    select account_id, max(revenue_date) as last_purchase_date
    from intermediate.revenue_events
    group by account_id
),

earliest_leads as (
    select
        account_id,
        first(channel order by lead_at, contact_id) as channel,
        first(campaign_id order by lead_at, contact_id) as campaign_id,
        first(country order by lead_at, contact_id) as country,
        first(industry order by lead_at, contact_id) as industry,
        first(company_size order by lead_at, contact_id) as company_size
    from intermediate.leads
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
            else purchases.last_purchase_date + cast(getvariable('active_window_days') as integer)
        end as churn_candidate_date
    from acquired
    left join contracts using (account_id)
    left join purchases using (account_id)
)

select
    acquired.account_id,
    acquired.acquired_at,
    local_date(acquired.acquired_at) as acquired_date,
    acquired.acquired_by,
    churn.customer_type,
    case
        when churn.churn_candidate_date < current_date
            then greatest(churn.churn_candidate_date, local_date(acquired.acquired_at))
    end as churned_date,
    coalesce(earliest_leads.channel, 'unknown') as channel,
    earliest_leads.campaign_id,
    coalesce(earliest_leads.country, accounts.country, 'unknown') as country,
    coalesce(earliest_leads.industry, accounts.industry, 'unknown') as industry,
    coalesce(earliest_leads.company_size, 'unknown') as company_size
from acquired
inner join churn using (account_id)
left join earliest_leads using (account_id)
left join staging.accounts using (account_id)
where acquired.acquired_at is not null

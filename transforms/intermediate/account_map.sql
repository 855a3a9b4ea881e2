-- intermediate.account_map: one row per contact, deal and order: the account it belongs to (METRICS: Customers and
-- leads, Account). This is the one place the account rule is written:
--   a contact's account is its company when that company is live, else the contact itself ('contact:<id>');
--   a deal's or an order's account is its own live company, else its (primary) contact's account.
-- Staging maps every reference onto a live record, per source: a company_id or contact_id there is never an
-- archived, deleted or merged-away record (a merged contact is the one it was merged into). A deal or order with
-- neither a live company nor a live contact has no account (NULL) and makes no customer.
-- columns:
--   record_type: contact, deal or order
--   record_id: its contact_id, deal_id or order_id
--   account_id: the company_id of its account, or 'contact:<contact_id>' when the account is a person
with contact_accounts as (
    select contact_id, coalesce(company_id, person_account(contact_id)) as account_id
    from staging.contacts
),

purchases as (
    select 'deal' as record_type, deal_id as record_id, company_id, contact_id from staging.deals
    union all
    select 'order', order_id, company_id, contact_id from staging.orders
),

-- A contact that contacts do not list (an export may name a buyer it does not list) is its own account.
purchase_accounts as (
    select
        purchases.record_type,
        purchases.record_id,
        coalesce(purchases.company_id, contact_accounts.account_id, person_account(purchases.contact_id))
            as account_id
    from purchases
    left join contact_accounts using (contact_id)
)

select 'contact' as record_type, contact_id as record_id, account_id from contact_accounts
union all
select record_type, record_id, account_id from purchase_accounts

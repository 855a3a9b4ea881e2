-- intermediate.deals: one row per deal, with its account (intermediate.account_map), local dates, the amount in the
-- reporting currency at the rate of its close date (creation date while open), and whether it is its account's
-- first win (a new customer; any later win is expansion or renewal, never a new customer — METRICS: Customers and
-- leads). A deal without an account (no live company or contact) is never a first win.
-- columns:
--   amount: the deal's amount in its own currency, as the source gives it
--   currency: the currency of amount (ISO 4217)
--   amount_reporting: amount in the reporting currency at the rate of its close date (creation date while open);
--     NULL when that currency has no rate on or before that day
--   fx_missing: the deal has an amount that could not be converted (left out of every total)
with dated as (
    select
        deals.*,
        account_map.account_id,
        local_date(deals.created_at) as created_date,
        local_date(deals.closed_at) as closed_date
    from staging.deals
    left join intermediate.account_map
        on account_map.record_type = 'deal' and account_map.record_id = deals.deal_id
),

converted as (
    select
        dated.*,
        to_reporting(dated.amount, dated.currency, fx_daily.rate_to_reporting) as amount_reporting
    from dated
    left join intermediate.fx_daily
        on fx_daily.currency = dated.currency
        and fx_daily.rate_date = coalesce(dated.closed_date, dated.created_date)
),

ranked as (
    select
        *,
        amount is not null and amount_reporting is null as fx_missing,
        status = 'won' and account_id is not null and row_number() over (
            partition by account_id, status = 'won' order by closed_at, deal_id
        ) = 1 as is_first_win
    from converted
)

select * from ranked

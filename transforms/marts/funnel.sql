-- marts.funnel: one row per period, source and channel: how many contacts reached each lifecycle stage in the period,
-- and the stage-to-stage rates (METRICS: Conversion, Funnel). A contact counts in the period it reached the stage:
--   lead: its lead date (intermediate.leads);
--   mql, sql: the CRM's dates (HubSpot's hs_lifecyclestage_*_date, the exports' mql_at and sql_at);
--   opportunity: the CRM's opportunity date, else the creation of its account's first deal created at or after its
--     lead date;
--   customer: its account's acquisition (intermediate.customers), when at or after its lead date (as marts.conversion).
-- A stage the source does not record (none of its contacts has that date; for opportunity, no date and no deal) is
-- NULL for that source, never 0, and so are the rates that need it. Channel: the contact's first touch up to its
-- lead date, else its original source (intermediate.leads). Rates are period forms (as lead_to_customer_rate): the
-- contacts reaching the later stage in the period over those reaching the earlier one in it.
-- columns:
--   source_system: the CRM or export the contacts come from
--   channel: the contacts' channel (first touch up to the lead date)
--   leads: contacts that became leads in the period
--   mqls: contacts that became marketing qualified leads in the period; NULL when the source records no MQL date
--   sqls: contacts that became sales qualified leads in the period; NULL when the source records no SQL date
--   opportunities: contacts that reached opportunity in the period; NULL when the source records no opportunity
--   customers: contacts whose account was acquired in the period (at or after their lead date)
--   lead_to_mql_rate: mqls / leads
--   mql_to_sql_rate: sqls / mqls
--   sql_to_opportunity_rate: opportunities / sqls
--   lead_to_opportunity_rate: opportunities / leads
--   opportunity_to_customer_rate: customers / opportunities
--   lead_to_customer_rate: customers / leads
with people as (
    select
        leads.contact_id,
        leads.account_id,
        leads.channel,
        leads.lead_at,
        contacts.source_system,
        contacts.mql_at,
        contacts.sql_at,
        contacts.opportunity_at
    from intermediate.leads
    inner join staging.contacts using (contact_id)
),

account_deals as (
    select people.contact_id, min(deals.created_at) as first_deal_at
    from people
    inner join intermediate.deals
        on deals.account_id = people.account_id and deals.created_at >= people.lead_at
    group by people.contact_id
),

stages as (
    select
        people.contact_id,
        people.source_system,
        people.channel,
        people.lead_at,
        people.mql_at,
        people.sql_at,
        coalesce(people.opportunity_at, account_deals.first_deal_at) as opportunity_at,
        case when customers.acquired_at >= people.lead_at then customers.acquired_at end as customer_at
    from people
    left join account_deals using (contact_id)
    left join intermediate.customers using (account_id)
),

recorded as (
    select
        source_system,
        count(mql_at) > 0 as records_mql,
        count(sql_at) > 0 as records_sql,
        count(opportunity_at) > 0
            or source_system in (select source_system from staging.deals) as records_opportunity
    from people
    group by source_system
),

reached as (
    select contact_id, source_system, channel, stage.name as stage, stage.at as reached_at
    from stages, unnest([
        {'name': 'lead', 'at': lead_at},
        {'name': 'mql', 'at': mql_at},
        {'name': 'sql', 'at': sql_at},
        {'name': 'opportunity', 'at': opportunity_at},
        {'name': 'customer', 'at': customer_at}
    ]) as stages(stage)
    where stage.at is not null
),

counts as (
    select
        calendar.period_grain,
        calendar.period_start,
        calendar.period_end,
        reached.source_system,
        reached.channel,
        count(*) filter (where reached.stage = 'lead') as leads,
        count(*) filter (where reached.stage = 'mql') as mqls,
        count(*) filter (where reached.stage = 'sql') as sqls,
        count(*) filter (where reached.stage = 'opportunity') as opportunities,
        count(*) filter (where reached.stage = 'customer') as customers
    from reached
    inner join intermediate.calendar on calendar.day = local_date(reached.reached_at)
    group by all
),

recorded_counts as (
    select
        counts.period_grain,
        counts.period_start,
        counts.period_end,
        counts.source_system,
        counts.channel,
        counts.leads,
        case when recorded.records_mql then counts.mqls end as mqls,
        case when recorded.records_sql then counts.sqls end as sqls,
        case when recorded.records_opportunity then counts.opportunities end as opportunities,
        counts.customers
    from counts
    inner join recorded using (source_system)
)

select
    *,
    safe_divide(mqls, leads) as lead_to_mql_rate,
    safe_divide(sqls, mqls) as mql_to_sql_rate,
    safe_divide(opportunities, sqls) as sql_to_opportunity_rate,
    safe_divide(opportunities, leads) as lead_to_opportunity_rate,
    safe_divide(customers, opportunities) as opportunity_to_customer_rate,
    safe_divide(customers, leads) as lead_to_customer_rate
from recorded_counts
order by period_grain, period_start, source_system, channel

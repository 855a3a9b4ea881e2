-- intermediate.period_acquisitions: one row per period (every grain): the new customers (accounts whose
-- first-ever win, else first order, else CRM customer date, falls in the period) and the new leads (contacts
-- that became leads in it) — the counts every mart divides by (METRICS: Customers and leads) — and the last day
-- one of those customers was acquired (NULL without any), from which a cohort has had k months.
with new_customers as (
    select
        calendar.period_grain,
        calendar.period_start,
        count(*) as new_customers,
        max(customers.acquired_date) as last_acquired_date
    from intermediate.customers
    inner join intermediate.calendar on calendar.day = customers.acquired_date
    group by all
),

new_leads as (
    select calendar.period_grain, calendar.period_start, count(*) as new_leads
    from intermediate.leads
    inner join intermediate.calendar on calendar.day = leads.lead_date
    group by all
)

select
    periods.period_grain,
    periods.period_start,
    periods.period_end,
    coalesce(new_customers.new_customers, 0) as new_customers,
    coalesce(new_leads.new_leads, 0) as new_leads,
    new_customers.last_acquired_date
from intermediate.periods
left join new_customers using (period_grain, period_start)
left join new_leads using (period_grain, period_start)

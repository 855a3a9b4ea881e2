-- marts.conversion: one row per period: lead-to-customer conversion (METRICS: Conversion), in two forms.
-- Period form: new customers of the period / new leads of the period (as in the source articles).
-- Cohort form: of the leads that became leads in the period, the share whose account became a customer within
-- 30, 90, 180 days and to date. A lead converts when its account is acquired on or after its lead date.
-- columns:
--   new_leads: contacts that became leads in the period (also the size of the cohort)
--   new_customers: accounts acquired in the period
--   lead_to_customer_rate: new_customers / new_leads; NULL when there are no new leads
--   converted_30d: leads of the period whose account was acquired within 30 days of the lead date
--   converted_90d: same within 90 days
--   converted_180d: same within 180 days
--   converted_to_date: leads of the period whose account has been acquired since
--   cohort_rate_30d: converted_30d / new_leads
--   cohort_rate_90d: converted_90d / new_leads
--   cohort_rate_180d: converted_180d / new_leads
--   cohort_rate_to_date: converted_to_date / new_leads
--   median_days_to_convert: median days from lead date to acquisition, over the converted leads
with lead_outcomes as (
    select
        leads.contact_id,
        leads.lead_date,
        case
            when customers.acquired_at >= leads.lead_at
                then datediff('day', leads.lead_date, customers.acquired_date)
        end as days_to_convert
    from intermediate.leads
    left join intermediate.customers using (account_id)
),

cohorts as (
    select
        calendar.period_grain,
        calendar.period_start,
        count(*) filter (where days_to_convert <= 30) as converted_30d,
        count(*) filter (where days_to_convert <= 90) as converted_90d,
        count(*) filter (where days_to_convert <= 180) as converted_180d,
        count(days_to_convert) as converted_to_date,
        median(days_to_convert) as median_days_to_convert
    from lead_outcomes
    inner join intermediate.calendar on calendar.day = lead_outcomes.lead_date
    group by all
),

joined as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.new_leads,
        periods.new_customers,
        coalesce(cohorts.converted_30d, 0) as converted_30d,
        coalesce(cohorts.converted_90d, 0) as converted_90d,
        coalesce(cohorts.converted_180d, 0) as converted_180d,
        coalesce(cohorts.converted_to_date, 0) as converted_to_date,
        cohorts.median_days_to_convert
    from intermediate.period_acquisitions as periods
    left join cohorts using (period_grain, period_start)
)

select
    period_grain,
    period_start,
    period_end,
    new_leads,
    new_customers,
    safe_divide(new_customers, new_leads) as lead_to_customer_rate,
    converted_30d,
    converted_90d,
    converted_180d,
    converted_to_date,
    safe_divide(converted_30d, new_leads) as cohort_rate_30d,
    safe_divide(converted_90d, new_leads) as cohort_rate_90d,
    safe_divide(converted_180d, new_leads) as cohort_rate_180d,
    safe_divide(converted_to_date, new_leads) as cohort_rate_to_date,
    median_days_to_convert
from joined
order by period_grain, period_start

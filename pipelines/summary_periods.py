"""The periods `payback summary` shows end by the as-of date and start before the last day with data: one
definition for the headline, paid-spend and channel tables, so that they show the same quarter."""

# A CTE `latest`: the last day any source has data for (a deal closed, a campaign's spend, a contact created).
LATEST_DATA_DAY = """latest as (
    select greatest(
        (select max(local_date(closed_at)) from staging.deals),
        (select max(spend_date) from staging.spend),
        (select max(local_date(created_at)) from staging.contacts)) as last_data_day
)"""

"""The paid-spend table of `payback summary`: the last complete quarter's spend by ad platform and channel, in the
reporting currency beside what was paid in each currency, so that an analyst can hold it against each platform's
own report (API sync or UI export alike).

`spend_summary(con)` returns (title, columns, rows), ready for `pipelines.cli.print_table`, on a connection from
`pipelines.warehouse.connect` (it reads PAYBACK_AS_OF as the SQL variable `as_of`)."""

from __future__ import annotations

import duckdb

from pipelines.summary_periods import LATEST_DATA_DAY

# The quarter of the channel table (the last that ended by PAYBACK_AS_OF and holds data); its spend per platform,
# channel and currency.
SPEND_SUMMARY_SQL = f"""
with {LATEST_DATA_DAY},
paid as (
    select * from intermediate.sm_costs_daily where cost_type = 'paid_media'
),
last_quarter as (
    select max(period_start) as period_start, max(period_end) as period_end
    from intermediate.periods, latest
    where period_grain = 'quarter' and period_end <= getvariable('as_of') and period_start <= last_data_day
),
by_currency as (
    select platform, channel, currency, sum(amount) as amount, sum(amount_reporting) as amount_reporting,
        count(*) filter (where fx_missing) as days_without_rate
    from paid
    inner join last_quarter on paid.cost_date >= last_quarter.period_start and paid.cost_date < last_quarter.period_end
    group by all
)
select
    (select year(period_start) || '-Q' || quarter(period_start) from last_quarter) as period,
    platform,
    channel,
    sum(amount_reporting) as spend,
    list((currency, amount) order by amount desc) as paid_in,
    sum(days_without_rate) as days_without_rate
from by_currency
group by platform, channel
order by spend desc nulls last, platform, channel
"""


def spend_summary(con: duckdb.DuckDBPyConnection, reporting_currency: str) -> tuple[str, list[str], list[tuple]]:
    """(title naming the quarter, column names, one row per platform and channel: the spend in the reporting
    currency, what was paid in each currency, and the campaign-days left out of the spend for want of a rate)."""
    found = con.execute(SPEND_SUMMARY_SQL).fetchall()
    columns = ["platform", "channel", f"spend ({reporting_currency})", "paid in", "left out"]
    if not found:
        return "Paid spend — no complete quarter with spend yet", columns, []
    rows = [(platform, channel, spend,
             " + ".join(f"{currency} {amount:,.0f}" for currency, amount in paid_in),
             f"{missing} campaign-day(s) without a rate" if missing else "")
            for _, platform, channel, spend, paid_in, missing in found]
    return f"Paid spend — {found[0][0]} by platform and channel", columns, rows

"""The channel table of `payback summary`: the last complete quarter's channels under the default attribution model.

`channel_summary(con)` returns (title, columns, rows), ready for `pipelines.cli.print_table`, on a connection from
`pipelines.warehouse.connect` (it reads PAYBACK_AS_OF as the SQL variable `as_of`)."""

from __future__ import annotations

import duckdb

from pipelines.summary_periods import LATEST_DATA_DAY

# The last quarter that ended by PAYBACK_AS_OF and holds data (as the headline table's periods), its channels under
# the model of intermediate.attribution_model, biggest spend first.
CHANNEL_SUMMARY_SQL = f"""
with {LATEST_DATA_DAY},
last_quarter as (
    select max(period_start) as period_start
    from marts.channel_economics, latest
    where period_grain = 'quarter' and period_end <= getvariable('as_of') and period_start <= last_data_day
)
select
    year(economics.period_start) || '-Q' || quarter(economics.period_start) as period,
    economics.model,
    attribution_model.chosen_by,
    economics.channel,
    economics.spend,
    economics.attributed_customers,
    economics.cac,
    economics.ltv_to_cac,
    economics.status
from marts.channel_economics as economics
inner join last_quarter using (period_start)
cross join intermediate.attribution_model
where economics.period_grain = 'quarter' and economics.is_default_model
order by economics.spend desc, economics.attributed_customers desc, economics.channel
"""

COLUMNS = ["channel", "spend", "customers", "CAC", "LTV:CAC", "status"]


def channel_summary(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str], list[tuple]]:
    """(title naming the quarter and the model, column names, one row per channel); no rows before a quarter with
    data has ended. Customers are attributed (fractional under multi-touch models); LTV:CAC is the realized LTV at
    12 months over the fully loaded CAC, shown as '2.4x'."""
    found = con.execute(CHANNEL_SUMMARY_SQL).fetchall()
    if not found:
        return "Channels — no complete quarter with data yet", COLUMNS, []
    period, model, chosen_by = found[0][:3]
    rows = [(channel, spend, round(customers, 1), cac, None if ratio is None else f"{ratio:.1f}x", status)
            for *_, channel, spend, customers, cac, ratio, status in found]
    title = f"Channels — {period} by {model} attribution ({chosen_by})"
    return title, COLUMNS, rows

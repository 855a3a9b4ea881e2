-- intermediate.periods: one row per period of every grain of intermediate.calendar (METRICS: Periods): the rows a
-- per-period table starts from, so that a period without any event still has its row. period_end is exclusive.
select distinct period_grain, period_start, period_end
from intermediate.calendar

-- Helpers every transform may call; created on the connection before each transform runs.
-- Configuration reaches SQL as DuckDB variables (getvariable), set from the environment by the runner.

-- The calendar date, in the reporting time zone, of a UTC timestamp (METRICS: Periods).
create or replace temp macro local_date(ts) as
    cast(timezone(getvariable('reporting_timezone'), timezone('UTC', ts)) as date);

-- A CRM's timestamp text (ISO 8601 with its offset) as UTC, as every staging timestamp is; NULL for '' or no date.
create or replace temp macro parse_utc(text) as timezone('UTC', try_cast(text as timestamptz));

-- The moment a day starts in the reporting time zone, as a UTC timestamp: where a source records a day, not a moment.
create or replace temp macro local_midnight_utc(day) as
    timezone('UTC', timezone(getvariable('reporting_timezone'), try_cast(day as timestamp)));

-- A person without a live company is their own account, 'contact:<contact_id>' (METRICS: Account).
create or replace temp macro person_account(contact_id) as 'contact:' || contact_id;

-- An amount in the reporting currency: as is when already in it, else times the day's rate (NULL: no rate).
create or replace temp macro to_reporting(amount, currency, rate_to_reporting) as
    case when currency = getvariable('reporting_currency') then amount else amount * rate_to_reporting end;

-- Ratio that is NULL, never 0, infinity or NaN, when the denominator is 0 or unknown or either side is not a
-- finite number.
create or replace temp macro safe_divide(numerator, denominator) as
    case when denominator is null or denominator = 0 or not isfinite(numerator / denominator) then null
        else numerator / denominator end;

-- Whether every account acquired by `last_acquired_date` has had `months` months at PAYBACK_AS_OF: a realized LTV
-- at k months is published only then (METRICS: LTV).
create or replace temp macro months_have_passed(last_acquired_date, months) as
    last_acquired_date + to_months(months) <= getvariable('as_of');

-- An LTV:CAC judged against LTV_CAC_TARGET: 'unknown' when it is undefined.
create or replace temp macro ltv_to_cac_status(ratio) as
    case when ratio is null then 'unknown' when ratio >= getvariable('ltv_cac_target') then 'on_target'
        else 'below_target' end;

-- A sum of money that does not depend on the order the rows come in: each value rounded to 1e-9 and added exactly
-- (as a 38-digit decimal). A sum of doubles changes in its last digits with the order DuckDB scans the rows, which a
-- re-sync changes: the same data must give the same numbers bit for bit. NULL values are skipped, as by sum(), and
-- so are NaN and infinities (the amounts_are_numbers check names them).
create or replace temp macro exact_sum(x) as
    cast(sum(cast(case when isfinite(x) then x end as decimal(38, 9))) as double);

-- The mean of the non-NULL values, as exactly as exact_sum.
create or replace temp macro exact_avg(x) as exact_sum(x) / count(x);

-- A sum of attribution credits (each a share of one conversion, at most 1), as exact and order-free as exact_sum but
-- held in 64 bits per value, which sums faster.
create or replace temp macro exact_credit_sum(x) as cast(sum(cast(x as decimal(18, 9))) as double);

-- A channel, platform or UTM value as every source's is compared (the same as pipelines/channel_map.py): lower case,
-- each run of characters other than letters and digits one `_`, none at either end ('Paid Search' = 'paid-search' =
-- 'paid_search'); NULL when nothing is left.
create or replace temp macro channel_name(value) as
    nullif(trim(regexp_replace(lower(trim(value)), '[^a-z0-9]+', '_', 'g'), '_'), '');

-- What a row of spend, touchpoints or contacts says about its channel, as it says it: the key of staging.channels,
-- which gives the channel the channel map assigns to it.
create or replace temp macro channel_key(platform, campaign_id, campaign_name, utm_source, utm_medium, label) as
    {'platform': cast(platform as varchar), 'campaign_id': cast(campaign_id as varchar),
     'campaign_name': cast(campaign_name as varchar), 'utm_source': cast(utm_source as varchar),
     'utm_medium': cast(utm_medium as varchar), 'label': cast(label as varchar)};

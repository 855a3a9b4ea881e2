"""Data quality checks on every raw and staging table. A failing check names the offending rows' keys.

The key and required-column checks are generated from declarations: a raw export's from its kind in the export
contract (`pipelines/exports/contract.py`), a staging model's from the `-- key:` and `-- required:` lines of its
files' headers (`pipelines/sql_models.py`). The checks written here are the rules that are more than a key or a
required column.

Each check is a query returning the failing rows as (`key`, `problem`); no row means it passes. Its severity says
what a failure means:

- ERROR: a published number would be wrong (a duplicate key, an amount that counts but cannot be converted or is
  missing, negative spend, a won deal without an account, a rejected export row). The check records its result,
  then fails its step, so the run fails and `payback run` exits 1. What depends on the table is still rebuilt
  from the rows that are good (the rest loads; a row that cannot count is flagged and left out of the totals):
  a single bad row must not freeze every number at its previous build.
- WARN: the normal state of a CRM that no published number depends on (open or lost deals without an amount or
  a company or contact), or a value the channel map does not know; counted in the run's summary, keys in the
  check's metadata.
"""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    Failure,
    MetadataValue,
    asset_check,
)

from pipelines.config import Settings
from pipelines.exports.contract import KINDS
from pipelines.exports.source import DATASET, REJECTS_TABLE
from pipelines.raw_assets import DUCKDB_POOL
from pipelines.sources.registry import declared_sources
from pipelines.sql_models import staging_declarations
from pipelines.warehouse import STEP_WAIT_SECONDS, connect

ERROR, WARN = AssetCheckSeverity.ERROR, AssetCheckSeverity.WARN
SHOWN_KEYS = 20

# Amounts that count in a published number, converted in the intermediate layer (`amount`, then NULL when it
# has no rate): staging table -> (converted table, which rows, key, date, converted amount).
CONVERTED = {
    "deals": ("intermediate.revenue_events", "revenue_source = 'deal'", "revenue_id", "revenue_date",
              "revenue_reporting"),
    "orders": ("intermediate.revenue_events", "revenue_source = 'order'", "revenue_id", "revenue_date",
               "revenue_reporting"),
    "spend": ("intermediate.sm_costs_daily", "cost_type = 'paid_media'", "cost_item || ' ' || cost_date",
              "cost_date", "amount_reporting"),
    "costs": ("intermediate.sm_costs_daily", "cost_type = 'other'", "cost_item", "cost_date", "amount_reporting"),
}

# Numbers that count, which must be finite: staging table -> (column, which rows count).
FINITE = {"deals": ("amount", "status = 'won'"), "orders": ("amount", "true"), "spend": ("spend", "true"),
          "costs": ("amount", "true"), "fx": ("rate", "true")}

# Every currency an amount that counts is in (won deals, orders, spend, costs).
COUNTED_CURRENCIES_SQL = """
    SELECT currency FROM staging.deals WHERE status = 'won' AND amount IS NOT NULL
    UNION ALL SELECT currency FROM staging.orders
    UNION ALL SELECT currency FROM staging.spend
    UNION ALL SELECT currency FROM staging.costs"""

# The FX rates leave the reporting currency out altogether: a configuration problem, reported once by
# staging/fx:reporting_currency_has_rates rather than once per amount.
REPORTING_CURRENCY_UNQUOTED = ("(EXISTS (SELECT 1 FROM staging.fx) AND NOT EXISTS (SELECT 1 FROM staging.fx "
                               "WHERE getvariable('reporting_currency') IN (base_currency, quote_currency)))")

FIX_RECORDS = "Fix these records in the CRM or export file they come from, then run `payback run`."
FIX_KEYS = ("Remove the duplicate of each record named, or give the record its id, in the CRM or export file it "
            "comes from (each problem names the sources), then run `payback run`.")
FIX_REQUIRED = ("Fill in the fields named of each record, in the CRM or export file it comes from, then run "
                "`payback run`.")
FIX_EXPORT_FILES = ("Fix each file named and drop it again in the exports folder (PAYBACK_EXPORTS_DIR); "
                    "its rejects are then replaced.")


@dataclass(frozen=True)
class Check:
    table: tuple[str, str]
    name: str
    description: str
    failing_rows_sql: str
    severity: AssetCheckSeverity
    fix: str
    additional_deps: tuple[tuple[str, str], ...] = ()


def _key_sql(columns: tuple[str, ...]) -> str:
    """A row's key as shown: its columns' values joined by '/', NULL where one is missing."""
    return "concat_ws('/', " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), 'NULL')" for c in columns) + ")"


def _named_nulls(columns: tuple[str, ...], aggregate: bool = False) -> str:
    """SQL naming which of `columns` are NULL: 'amount, currency' (of a group's rows, when `aggregate`)."""
    null = "bool_or({} IS NULL)" if aggregate else "{} IS NULL"
    return "concat_ws(', ', " + ", ".join(f"CASE WHEN {null.format(c)} THEN '{c}' END" for c in columns) + ")"


def _key_checks(schema: str, table: str, key: tuple[str, ...], required: tuple[str, ...]) -> list[Check]:
    """The key's check (no NULL in it, no two rows sharing it) and the required columns' (none NULL), as a raw
    export's contract or a staging model's files declare them. A failing row's problem names the NULL columns, or
    how many rows share its key and, in staging, which sources hold them. The failing keys are found first:
    gathering the sources of every key would cost several times the check."""
    staging = schema == "staging"
    declared_in = (f"the `-- key:` and `-- required:` lines of transforms/staging/*/{table}.sql" if staging
                   else f"the {table} export contract (pipelines/exports/contract.py)")
    full = f"{schema}.{table}"
    key_sql = _key_sql(key)
    key_missing = " OR ".join(f"{c} IS NULL" for c in key)
    sources = (" || ' (from ' || string_agg(DISTINCT source_system, ', ' ORDER BY source_system) || ')'"
               if staging else "")
    checks = [Check(
        (schema, table), "primary_key_unique_not_null",
        f"Every row of {full} has a {'/'.join(key)} and no two rows share one: a row without its key cannot be "
        f"told apart, a shared key counts twice. Declared by {declared_in}.",
        f"WITH failing AS (SELECT {key_sql} AS key FROM {full} GROUP BY 1 "
        f"HAVING count(*) > 1 OR bool_or({key_missing})) "
        f"SELECT {key_sql} AS key, CASE WHEN bool_or({key_missing}) THEN 'no ' || "
        f"{_named_nulls(key, aggregate=True)} ELSE count(*) || ' rows share this key'{sources} END AS problem "
        f"FROM {full} WHERE {key_sql} IN (SELECT key FROM failing) GROUP BY 1 ORDER BY 1",
        ERROR, FIX_KEYS if staging else FIX_RECORDS)]
    if required:
        checks.append(Check(
            (schema, table), "required_fields_present",
            f"Every row of {full} has {', '.join(required)}: a row without them is missing from the numbers they "
            f"make. Declared by {declared_in}.",
            f"SELECT {key_sql} AS key, 'missing ' || {_named_nulls(required)} AS problem FROM {full} "
            f"WHERE {' OR '.join(f'{c} IS NULL' for c in required)} ORDER BY 1",
            ERROR, FIX_REQUIRED))
    return checks


def _rejects_sql(where: str) -> str:
    return (f"SELECT file || coalesce(':' || line, '') AS key, reason AS problem FROM {DATASET}.{REJECTS_TABLE} "
            f"WHERE {where} AND NOT coalesce(_tombstone, false) ORDER BY file, line")


def _raw_checks() -> list[Check]:
    """Every export kind feeds a published number (a deal may be a win, a contact is a lead, a company or a
    touchpoint decides a segment, spend, costs, orders and rates are money), so a rejected row or file of a
    known kind is an ERROR. A file whose name matches no kind is a WARN: nothing is read from it."""
    checks = []
    for kind in KINDS.values():
        required = tuple(c.name for c in kind.columns if c.required and c.name not in kind.primary_key)
        checks += _key_checks(DATASET, kind.name, kind.primary_key, required)
        checks.append(Check(
            (DATASET, kind.name), "no_rejects",
            f"No row of the {kind.name} exports was rejected (see raw_exports.rejects for the reasons): a "
            "rejected row is missing from every number it would have counted in.",
            _rejects_sql(f"kind = '{kind.name}'"), ERROR, FIX_EXPORT_FILES))
    checks.append(Check(
        (DATASET, REJECTS_TABLE), "no_rejects",
        "Every file in the exports folder has the name of a known export kind (contacts, deals, …); a file that "
        "matches none is not read. Rejected rows of each kind are reported by raw_exports/<kind>:no_rejects.",
        _rejects_sql("kind IS NULL"), WARN,
        "Rename each file named to its kind (e.g. deals_2025-03.csv), or move it out of the exports folder."))
    return checks


def _deal_checks() -> list[Check]:
    """A won deal counts (a new customer, revenue); an open or lost deal counts in no published number, and a
    CRM normally holds many without an amount or without a company or contact."""
    won_missing = ("concat_ws(', ', CASE WHEN amount IS NULL THEN 'amount' END, "
                   "CASE WHEN amount IS NOT NULL AND currency IS NULL THEN 'currency' END, "
                   "CASE WHEN account_id IS NULL THEN 'live company or contact' END, "
                   "CASE WHEN closed_at IS NULL THEN 'close date' END)")
    return [
        Check(("staging", "deals"), "won_deals_complete",
              "Every won deal has an amount (with its currency), a live company or contact (its account), and a "
              "close date: "
              "without them a new customer or its revenue is missing.",
              f"SELECT deal_id AS key, 'won deal without ' || {won_missing} AS problem "
              "FROM intermediate.deals WHERE status = 'won' "
              "AND (amount IS NULL OR currency IS NULL OR account_id IS NULL OR closed_at IS NULL) "
              "ORDER BY deal_id",
              ERROR, "Set the amount, company or contact, and close date of each won deal named, in the CRM or "
              "export file it comes from, then run `payback run`.",
              additional_deps=(("intermediate", "deals"),)),
        Check(("staging", "deals"), "open_and_lost_deals_have_amount",
              "Open and lost deals without an amount (normal in a CRM; no published number uses them).",
              "SELECT deal_id AS key, status || ' deal without an amount' AS problem FROM staging.deals "
              "WHERE status IN ('open', 'lost') AND amount IS NULL ORDER BY deal_id",
              WARN, "Nothing to do unless you expect these deals to have an amount."),
        Check(("staging", "deals"), "open_and_lost_deals_have_account",
              "Open and lost deals without a company or contact (normal in a CRM; no published number uses "
              "them).",
              "SELECT deal_id AS key, status || ' deal without a company or contact' AS problem "
              "FROM intermediate.deals WHERE status IN ('open', 'lost') AND account_id IS NULL ORDER BY deal_id",
              WARN, "Nothing to do unless you expect these deals to be associated.",
              additional_deps=(("intermediate", "deals"),)),
    ]


def _currency_checks() -> list[Check]:
    checks = []
    for table, (converted, counted, key, day, amount_reporting) in CONVERTED.items():
        checks.append(Check(
            ("staging", table), "currency_convertible",
            f"Every amount of staging.{table} that counts has an FX rate to the reporting currency on or before "
            "its date; amounts without one are left out of every total. (When the rates leave REPORTING_CURRENCY "
            "out altogether, staging/fx:reporting_currency_has_rates says so once instead.)",
            f"SELECT {key} AS key, 'no FX rate from ' || any_value(currency) || ' to ' "
            f"|| getvariable('reporting_currency') || ' on or before ' || min({day}) "
            f"|| CASE WHEN count(DISTINCT {day}) > 1 THEN ' (nor on ' || (count(DISTINCT {day}) - 1) "
            f"|| ' later day(s), to ' || max({day}) || ')' ELSE '' END AS problem "
            f"FROM {converted} WHERE {counted} AND amount IS NOT NULL AND {amount_reporting} IS NULL "
            f"AND NOT {REPORTING_CURRENCY_UNQUOTED} GROUP BY 1 ORDER BY 1",
            ERROR, "Add fx_rates rows (or set FX_RATES_FILE to the ECB's rates) for each currency named, on or "
            "before the dates named, then run `payback run`.",
            additional_deps=(tuple(converted.split(".")), ("staging", "fx"))))
    checks.append(Check(
        ("staging", "fx"), "reporting_currency_has_rates",
        "REPORTING_CURRENCY can be reached: when there are FX rates and an amount that counts is in another "
        "currency, some rate involves the reporting currency.",
        f"""WITH foreign_amounts AS (
                SELECT currency, count(*) AS amounts FROM ({COUNTED_CURRENCIES_SQL})
                WHERE currency <> getvariable('reporting_currency') GROUP BY currency),
            quoted AS (SELECT DISTINCT unnest([base_currency, quote_currency]) AS currency FROM staging.fx)
        SELECT 'REPORTING_CURRENCY=' || getvariable('reporting_currency') AS key,
            'no FX rate involves ' || getvariable('reporting_currency')
            || ' (the rates quote ' || (SELECT string_agg(currency, ', ' ORDER BY currency) FROM quoted)
            || '): ' || sum(amounts) || ' amount(s) in ' || string_agg(currency, ', ' ORDER BY currency)
            || ' cannot be converted' AS problem
        FROM foreign_amounts
        WHERE {REPORTING_CURRENCY_UNQUOTED}
        HAVING count(*) > 0""",
        ERROR, "Configuration: set REPORTING_CURRENCY to a currency the FX rates quote, or add fx_rates for it; "
        "then run `payback run`.",
        additional_deps=(("staging", "deals"), ("staging", "orders"), ("staging", "spend"), ("staging", "costs"))))
    return checks


def _channel_checks() -> list[Check]:
    """A value no rule of the channel map knows is not an error (its rows keep the name they were given and still
    count), but spend and customers may then miss each other: a WARN lists each, to add to the map."""
    said = ("concat_ws(', ', 'label=' || label, 'utm_source=' || utm_source, 'utm_medium=' || utm_medium, "
            "'platform=' || platform, 'campaign=' || campaign_name, "
            "CASE WHEN campaign_name IS NULL THEN 'campaign_id=' || channel_key.campaign_id END)")
    return [Check(
        ("staging", "channels"), "channel_values_mapped",
        "Every channel a source names (its own channel name, a UTM source and medium, an ad platform and campaign) "
        "is a known channel or matched by a rule of the channel map; an unmapped one keeps the name it was given "
        "(not 'other'), and lands apart from the spend or touches of the channel it belongs to.",
        f"""SELECT {said} AS key,
            'no rule of the channel map: ' || sum(row_count) || ' row(s) of '
            || array_to_string(list_sort(list_distinct(flatten(list(used_in)))), ', ')
            || ', counted as ' || coalesce(any_value(channel), 'unknown') AS problem
        FROM staging.channels WHERE assigned_by = 'unmapped'
        GROUP BY 1 ORDER BY sum(row_count) DESC, 1""",
        WARN, "Add a rule for each value named to your channel map (CHANNEL_MAP_FILE; start from a copy of "
        "transforms/channel_map.csv, see docs/channels.md), then run `payback run`.")]


def _staging_checks() -> list[Check]:
    """Each canonical staging model's declared checks, from every declared source's files (configured or not: the
    model is the same), then the others."""
    declared = staging_declarations(tuple(source.name for source in declared_sources()))
    checks = []
    for table, (key, required) in declared.items():
        checks += _key_checks("staging", table, key, required)
    checks += _deal_checks() + _currency_checks() + _channel_checks()
    for table, (column, counted) in FINITE.items():
        checks.append(Check(
            ("staging", table), "amounts_are_numbers",
            f"Every {column} of staging.{table} that counts is a finite number, not NaN or infinity.",
            f"SELECT {_key_sql(declared[table][0])} AS key, '{column} is ' || {column} AS problem "
            f"FROM staging.{table} WHERE {counted} AND NOT isfinite({column})",
            ERROR, FIX_RECORDS))
    checks.append(Check(
        ("staging", "spend"), "spend_not_negative", "Paid media spend is never negative.",
        f"SELECT {_key_sql(declared['spend'][0])} AS key, 'spend ' || spend AS problem "
        "FROM staging.spend WHERE spend < 0",
        ERROR, FIX_RECORDS))
    return checks


def all_checks() -> list[Check]:
    return _raw_checks() + _staging_checks()


def evaluate(con, check: Check) -> AssetCheckResult:
    rows = con.execute(f"SELECT key, problem, count(*) OVER () FROM ({check.failing_rows_sql}) "
                       f"LIMIT {SHOWN_KEYS}").fetchall()
    count = rows[0][2] if rows else 0
    shown = [f"{key}: {problem}" for key, problem, _ in rows]
    return AssetCheckResult(
        passed=count == 0,
        severity=check.severity,
        description=None if count == 0 else f"{count} failing row(s): " + "; ".join(shown[:5])
        + (" …" if count > 5 else ""),
        metadata={"failing_rows": count,
                  "failing_keys": MetadataValue.md("\n".join(f"- {line}" for line in shown) or "none"),
                  "fix": check.fix},
    )


def build_asset_check(check: Check, settings: Settings) -> AssetChecksDefinition:
    @asset_check(asset=AssetKey(list(check.table)), name=check.name, description=check.description,
                 metadata={"severity": check.severity.value, "fix": check.fix},
                 additional_deps=[AssetKey(list(dep)) for dep in check.additional_deps], pool=DUCKDB_POOL)
    def data_quality_check(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        with closing(connect(settings, read_only=True, wait_seconds=STEP_WAIT_SECONDS,
                             say=context.log.info)) as con:
            result = evaluate(con, check)
        yield result
        if not result.passed and check.severity == ERROR:
            raise Failure(f"ERROR check failed: {'/'.join(check.table)} {check.name}: {result.description}. "
                          f"{check.fix}", allow_retries=False)

    return data_quality_check

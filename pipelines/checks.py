"""Data quality checks on every raw and staging table. A failing check names the offending rows' keys.

Each check is a query returning the failing rows as (`key`, `problem`); no row means it passes.
"""

from contextlib import closing
from dataclasses import dataclass

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from pipelines.config import Settings
from pipelines.exports.contract import KINDS
from pipelines.exports.source import DATASET, REJECTS_TABLE
from pipelines.raw_assets import DUCKDB_POOL
from pipelines.warehouse import STEP_WAIT_SECONDS, connect

SHOWN_KEYS = 20

# Canonical staging tables: primary key and required columns.
STAGING_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "contacts": (("contact_id",), ("created_at",)),
    "accounts": (("account_id",), ()),
    "deals": (("deal_id",), ("status", "created_at", "amount", "currency")),
    "spend": (("spend_date", "platform", "campaign_id"), ("spend", "currency")),
    "costs": (("cost_id",), ("start_date", "end_date", "team", "category", "amount", "currency")),
    "touchpoints": (("touchpoint_id",), ("contact_id", "touched_at", "channel")),
    "orders": (("order_id",), ("ordered_at", "amount", "currency")),
    "fx": (("rate_date", "base_currency", "quote_currency"), ("rate",)),
}

# Money tables whose amounts must convert to the reporting currency: (intermediate table, key, date, currency).
CONVERTED = {
    "deals": ("intermediate.deals", "deal_id", "coalesce(closed_date, created_date)", "currency"),
    "spend": ("intermediate.sm_costs_daily", "cost_item || ' ' || cost_date", "cost_date", "currency"),
    "costs": ("intermediate.sm_costs_daily", "cost_item", "cost_date", "currency"),
    "orders": ("intermediate.revenue_events", "revenue_id", "revenue_date", "currency"),
}


@dataclass(frozen=True)
class Check:
    table: tuple[str, str]
    name: str
    description: str
    failing_rows_sql: str
    additional_deps: tuple[tuple[str, str], ...] = ()


def _key_sql(columns: tuple[str, ...]) -> str:
    return "concat_ws('/', " + ", ".join(f"CAST({c} AS VARCHAR)" for c in columns) + ")"


def _key_checks(schema: str, table: str, key: tuple[str, ...], required: tuple[str, ...]) -> list[Check]:
    full = f"{schema}.{table}"
    key_sql = _key_sql(key)
    checks = [Check(
        (schema, table), "primary_key_unique_not_null",
        f"Every row of {full} has a {'/'.join(key)} and no two rows share one.",
        f"SELECT {key_sql} AS key, CASE WHEN count(*) > 1 THEN count(*) || ' rows share this key' "
        f"ELSE 'key is null' END AS problem FROM {full} GROUP BY ALL "
        f"HAVING count(*) > 1 OR bool_or({' OR '.join(f'{c} IS NULL' for c in key)})")]
    if required:
        missing = " || ".join(f"CASE WHEN {c} IS NULL THEN '{c} ' ELSE '' END" for c in required)
        checks.append(Check(
            (schema, table), "required_fields_present",
            f"Every row of {full} has {', '.join(required)}.",
            f"SELECT {key_sql} AS key, 'missing ' || trim({missing}) AS problem FROM {full} "
            f"WHERE {' OR '.join(f'{c} IS NULL' for c in required)}"))
    return checks


def _raw_checks() -> list[Check]:
    checks = []
    for kind in KINDS.values():
        required = tuple(c.name for c in kind.columns if c.required and c.name not in kind.primary_key)
        checks += _key_checks(DATASET, kind.name, kind.primary_key, required)
        checks.append(Check(
            (DATASET, kind.name), "no_rejects",
            f"No row of the {kind.name} exports was rejected (see raw_exports.rejects for the reasons).",
            f"SELECT file || coalesce(':' || line, '') AS key, reason AS problem FROM {DATASET}.{REJECTS_TABLE} "
            f"WHERE kind = '{kind.name}' AND NOT coalesce(_tombstone, false) ORDER BY file, line"))
    checks.append(Check(
        (DATASET, REJECTS_TABLE), "no_rejects",
        "No export file or row broke the contract: every file has a known name and every row loaded.",
        f"SELECT file || coalesce(':' || line, '') AS key, reason AS problem FROM {DATASET}.{REJECTS_TABLE} "
        "WHERE NOT coalesce(_tombstone, false) ORDER BY file, line"))
    return checks


def _staging_checks() -> list[Check]:
    checks = []
    for table, (key, required) in STAGING_KEYS.items():
        checks += _key_checks("staging", table, key, required)
    for table, (converted, key, day, currency) in CONVERTED.items():
        where = {"spend": "cost_type = 'paid_media' AND ", "costs": "cost_type = 'other' AND "}.get(table, "")
        checks.append(Check(
            ("staging", table), "currency_convertible",
            f"Every amount of staging.{table} has an FX rate to the reporting currency on or before its date; "
            "amounts without one are left out of every total.",
            f"SELECT {key} AS key, 'no FX rate for ' || any_value({currency}) || ' on or before ' "
            f"|| min({day}) AS problem FROM {converted} WHERE {where}fx_missing GROUP BY 1",
            additional_deps=(tuple(converted.split(".")),)))
    checks.append(Check(
        ("staging", "spend"), "spend_not_negative", "Paid media spend is never negative.",
        f"SELECT {_key_sql(STAGING_KEYS['spend'][0])} AS key, 'spend ' || spend AS problem "
        "FROM staging.spend WHERE spend < 0"))
    checks.append(Check(
        ("staging", "rejects"), "no_rejects", "No input row or file broke the export contract.",
        "SELECT file || coalesce(':' || line, '') AS key, reason AS problem FROM staging.rejects "
        "ORDER BY file, line"))
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
        severity=AssetCheckSeverity.ERROR,
        description=None if count == 0 else f"{count} failing row(s): " + "; ".join(shown[:5])
        + (" …" if count > 5 else ""),
        metadata={"failing_rows": count,
                  "failing_keys": MetadataValue.md("\n".join(f"- {line}" for line in shown) or "none")},
    )


def build_asset_check(check: Check, settings: Settings) -> AssetChecksDefinition:
    @asset_check(asset=AssetKey(list(check.table)), name=check.name, description=check.description,
                 additional_deps=[AssetKey(list(dep)) for dep in check.additional_deps], pool=DUCKDB_POOL)
    def data_quality_check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        with closing(connect(settings, read_only=True, wait_seconds=STEP_WAIT_SECONDS,
                             say=context.log.info)) as con:
            return evaluate(con, check)

    return data_quality_check

"""`marts.build_info`: the settings and as-of date the marts were built with, and when. Whoever reads the marts
later (`payback summary`, a dashboard) labels money and targets with these, not with the settings of the moment,
which may have changed since."""

import hashlib
from contextlib import closing
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, TableColumn, TableSchema, asset

from pipelines.config import Settings
from pipelines.freshness import code_version
from pipelines.progress import report
from pipelines.raw_assets import DUCKDB_POOL
from pipelines.warehouse import connect

TABLE = "marts.build_info"

# Each setting the SQL reads (Settings.sql_variables): the variable that sets it and what it decides.
SETTINGS = {
    "reporting_currency": ("REPORTING_CURRENCY", "the currency of every amount"),
    "reporting_timezone": ("REPORTING_TIMEZONE", "the time zone that decides an event's day, month, quarter"),
    "fiscal_year_start_month": ("FISCAL_YEAR_START_MONTH", "the first month of the fiscal year"),
    "active_window_days": ("ACTIVE_WINDOW_DAYS", "days without buying after which a transactional customer is lost"),
    "gross_margin": ("GROSS_MARGIN", "share of revenue kept, for LTV and payback"),
    "ltv_cac_target": ("LTV_CAC_TARGET", "the LTV:CAC the statuses were judged against"),
    "payback_target_months": ("PAYBACK_TARGET_MONTHS", "the CAC payback the statuses were judged against"),
    "overhead_allocation": ("OVERHEAD_ALLOCATION", "how costs no campaign carries were spread in cac_by_segment"),
    "as_of": ("PAYBACK_AS_OF", "the day every 'to date', 'active' and 'has passed' was judged at"),
    "attribution_lookback_days": ("ATTRIBUTION_LOOKBACK_DAYS", "how far before a conversion a touch was in its path"),
    "attribution_half_life_days": ("ATTRIBUTION_HALF_LIFE_DAYS", "the half-life of time decay attribution"),
    "attribution_markov_order": ("ATTRIBUTION_MARKOV_ORDER", "how many channels a Markov state held"),
    "attribution_model": ("ATTRIBUTION_MODEL", "the model spend was spread with in cac_by_segment ('': the default)"),
    "channel_map_file": ("CHANNEL_MAP_FILE", "the channel map that gave spend, touches and contacts their channels"),
}
COLUMNS = {name: f"{variable}: {meaning}" for name, (variable, meaning) in SETTINGS.items()} | {
    "built_at": "when the marts were built (UTC)"}
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
DESCRIPTION = (f"{TABLE}: one row: the settings and as-of date the marts were built with, and when. Read the marts' "
               "money and statuses with these, not with the settings of the moment.")


def write_build_info(con) -> None:
    """Replace the table with the connection's settings (its SQL variables) and the time now."""
    values = ", ".join(f"getvariable('{name}') AS {name}" for name in SETTINGS)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT {values}, CAST(now() AS TIMESTAMP) AS built_at")
        con.execute(f"COMMENT ON TABLE {TABLE} IS {_literal(DESCRIPTION)}")
        for column, meaning in COLUMNS.items():
            con.execute(f"COMMENT ON COLUMN {TABLE}.{column} IS {_literal(meaning)}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_build_info(con) -> dict | None:
    """The settings the marts were built with; None when the database predates the table."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
                       "AND table_name = 'build_info'").fetchall()[0][0]:
        return None
    cursor = con.execute(f"SELECT * FROM {TABLE}")
    row = cursor.fetchall()[0]
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def differences(built: dict, settings: Settings, *, compare_as_of: bool) -> list[str]:
    """`VARIABLE=now (built with then)` for each setting that differs from the build's. The as-of date is compared
    only when PAYBACK_AS_OF is set: by default it is simply the day of the build."""
    current = settings.sql_variables()
    return [f"{variable}={_shown(current[name])} (tables built with {_shown(built.get(name))})"
            for name, (variable, _) in SETTINGS.items()
            if (name != "as_of" or compare_as_of) and current[name] != built.get(name)]


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def build_info_asset(settings: Settings, marts: list[AssetKey]) -> AssetsDefinition:
    """Rebuilt after every mart, so that any run that rebuilds a mart records the settings it used."""

    @asset(key=AssetKey(["marts", "build_info"]), deps=marts, description=DESCRIPTION, group_name="marts",
           kinds={"duckdb"}, pool=DUCKDB_POOL, code_version=code_version(CODE_VERSION, settings),
           metadata={"dagster/column_schema": TableSchema(
               columns=[TableColumn(name=name, description=meaning) for name, meaning in COLUMNS.items()])})
    def build_info(context: AssetExecutionContext) -> None:
        with closing(connect(settings)) as con:
            write_build_info(con)
        report(context, f"{TABLE}: {settings.reporting_currency}, as of {settings.as_of}")

    return build_info

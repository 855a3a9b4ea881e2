"""Each ad platform's staging maps onto the canonical staging.spend: the same columns as the exports' spend, and it
runs before any sync has loaded a row (on the tables the raw assets create from the declared columns)."""

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.raw_assets import ensure_tables
from pipelines.sources.registry import declared
from pipelines.warehouse import TRANSFORMS_DIR

PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads")
ENV = {"GOOGLE_ADS_DEVELOPER_TOKEN": "d", "GOOGLE_ADS_CLIENT_ID": "c", "GOOGLE_ADS_CLIENT_SECRET": "s",
       "GOOGLE_ADS_REFRESH_TOKEN": "r", "GOOGLE_ADS_CUSTOMER_IDS": "1", "META_ACCESS_TOKEN": "t",
       "META_AD_ACCOUNT_IDS": "1", "LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_AD_ACCOUNT_IDS": "1"}


def spend_sql(source: str) -> str:
    return (TRANSFORMS_DIR / "staging" / source / "spend.sql").read_text()


@pytest.fixture
def empty_raw_tables(tmp_path):
    """The raw tables of the exports and of every ad platform as each declares them, before any sync."""
    settings = Settings.from_env({"PAYBACK_DUCKDB_PATH": str(tmp_path / "p.duckdb"), **ENV})
    assert set(PLATFORMS) <= set(settings.sources)
    con = duckdb.connect()
    for name in ("exports", *PLATFORMS):
        source = declared(name)
        ensure_tables(con, source.dataset, source.tables(source.build(settings.source(name), settings)))
    yield con
    con.close()


def columns(con, sql: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {sql}").fetchall()]


@pytest.mark.parametrize("source", PLATFORMS)
def test_platform_staging_has_the_canonical_spend_columns_and_types(empty_raw_tables, source):
    assert columns(empty_raw_tables, spend_sql(source)) == columns(empty_raw_tables, spend_sql("exports"))
    assert empty_raw_tables.execute(spend_sql(source)).fetchall() == []


def test_the_canonical_union_of_every_spend_runs_on_empty_tables(empty_raw_tables):
    union = "\nunion all by name\n".join(f"select * from ({spend_sql(s)})" for s in ["exports", *PLATFORMS])
    assert empty_raw_tables.execute(f"select count(*) from ({union})").fetchall() == [(0,)]

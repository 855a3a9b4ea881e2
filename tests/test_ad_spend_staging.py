"""Each ad platform's staging maps onto the canonical staging.spend: the same columns as the exports' spend, and it
runs before any sync has loaded a row (on the tables the raw assets create from the declared columns)."""

import duckdb
import pytest

from pipelines.exports.source import DATASET as EXPORTS_DATASET
from pipelines.exports.source import declared_tables
from pipelines.raw_assets import ensure_tables, resource_tables
from pipelines.sources.google_ads import google_ads_source
from pipelines.sources.google_ads.settings import DATASET as GOOGLE_DATASET
from pipelines.sources.linkedin_ads import linkedin_ads_source
from pipelines.sources.linkedin_ads.settings import DATASET as LINKEDIN_DATASET
from pipelines.sources.meta_ads import meta_ads_source
from pipelines.sources.meta_ads.settings import DATASET as META_DATASET
from pipelines.warehouse import TRANSFORMS_DIR

SOURCES = {
    "google_ads": (GOOGLE_DATASET, lambda: google_ads_source(developer_token="d", client_id="c", client_secret="s",
                                                             refresh_token="r", customer_ids=["1"])),
    "meta_ads": (META_DATASET, lambda: meta_ads_source(access_token="t", ad_account_ids=["1"])),
    "linkedin_ads": (LINKEDIN_DATASET, lambda: linkedin_ads_source(access_token="t", ad_account_ids=["1"])),
}


def spend_sql(source: str) -> str:
    return (TRANSFORMS_DIR / "staging" / source / "spend.sql").read_text()


@pytest.fixture
def empty_raw_tables():
    con = duckdb.connect()
    ensure_tables(con, EXPORTS_DATASET, declared_tables())
    for dataset, build in SOURCES.values():
        ensure_tables(con, dataset, resource_tables(build()))
    yield con
    con.close()


def columns(con, sql: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {sql}").fetchall()]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_platform_staging_has_the_canonical_spend_columns_and_types(empty_raw_tables, source):
    assert columns(empty_raw_tables, spend_sql(source)) == columns(empty_raw_tables, spend_sql("exports"))
    assert empty_raw_tables.execute(spend_sql(source)).fetchall() == []


def test_the_canonical_union_of_every_spend_runs_on_empty_tables(empty_raw_tables):
    union = "\nunion all by name\n".join(f"select * from ({spend_sql(s)})" for s in ["exports", *sorted(SOURCES)])
    assert empty_raw_tables.execute(f"select count(*) from ({union})").fetchall() == [(0,)]

"""The whole graph on the bundled demo data, through Dagster, into a temporary DuckDB: all checks pass."""

import pytest

from pipelines.demo_data import generate
from tests.conftest import Project, failed_checks


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("demo"))
    written = generate(project.exports)
    return project, written, project.run_dagster()


def test_every_asset_materializes_and_every_check_passes(demo):
    project, _, result = demo
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"raw_exports/deals", "staging/deals", "intermediate/customers", "marts/cac",
            "marts/unit_economics", "marts/cac_by_segment"} <= materialized
    assert failed_checks(result) == {}
    assert len(result.get_asset_check_evaluations()) > 40


def test_demo_raw_tables_hold_every_exported_row(demo):
    project, written, _ = demo
    for table in ("contacts", "companies", "deals", "costs", "touchpoints", "fx_rates"):
        assert project.one(f"SELECT count(*) FROM raw_exports.{table}") == (written[f"{table}.csv"],)
    # The spend, as the three platforms' UI reports: every row of each, by platform.
    reports = {"google_ads": "Google Ads campaign report.csv", "meta_ads": "Meta Ads Manager export.csv",
               "linkedin_ads": "LinkedIn campaign performance.csv"}
    assert dict(project.query("SELECT platform, count(*) FROM raw_exports.ad_spend GROUP BY ALL")) == {
        platform: written[name] for platform, name in reports.items()}
    assert project.query("SELECT count(*) FROM raw_exports.rejects") == [(0,)]


def test_demo_has_customers_in_every_quarter_and_usd_spend_converted(demo):
    project, _, _ = demo
    quarters = project.query("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                             "AND period_start BETWEEN '2025-01-01' AND '2026-07-01'")
    assert len(quarters) == 7 and all(n > 0 for (n,) in quarters)
    assert project.one("SELECT count(*) FROM intermediate.sm_costs_daily WHERE currency = 'USD' "
                       "AND amount_reporting IS NULL") == (0,)


def test_marts_carry_their_definitions_as_table_and_column_comments(demo):
    project, _, _ = demo
    comment = project.one("SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'cac'")
    assert "customer acquisition cost" in comment[0]
    column = project.one("SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
                         "AND table_name = 'cac' AND column_name = 'cac'")
    assert column[0].startswith("fully loaded CAC = sm_cost / new_customers")


def test_timestamps_are_stored_as_utc_without_time_zone(demo):
    project, _, _ = demo
    types = dict(project.query("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_schema = 'raw_exports' AND table_name = 'deals'"))
    assert types["closed_at"] == "TIMESTAMP" and types["created_at"] == "TIMESTAMP"


def test_demo_summary_fits_in_120_columns(demo, capsys):
    from pipelines.cli import print_summary

    project, _, _ = demo
    print_summary(project.settings)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Payback — last complete months and quarters, as of ")
    assert len([line for line in lines if line[:2] == "20"]) == 7  # 3 months and 4 quarters
    assert max(len(line) for line in lines) <= 120


def test_demo_attribution_credits_sum_to_the_conversions_and_channels_to_the_costs(demo):
    project, _, _ = demo
    # Every period, event and model: the credits are the period's new leads or new customers (marts.cac), and the
    # customers' revenue is that of the accounts acquired (their revenue_12m, once per converting path).
    credited = project.query("""
        WITH conversions AS (
            SELECT period_grain, period_start, 'lead' AS conversion_event, new_leads AS conversions FROM marts.cac
            UNION ALL
            SELECT period_grain, period_start, 'customer', new_customers FROM marts.cac),
        revenue AS (
            SELECT period_grain, period_start, sum(revenue_12m) AS revenue
            FROM intermediate.attribution_paths
            JOIN intermediate.calendar ON calendar.day = attribution_paths.anchor_date
            WHERE conversion_event = 'customer' AND converted AND touch_position = 1 GROUP BY ALL),
        models AS (SELECT DISTINCT model FROM marts.attribution),
        credits AS (
            SELECT period_grain, period_start, conversion_event, model, sum(credit) AS credit, sum(revenue) AS revenue
            FROM marts.attribution GROUP BY ALL)
        SELECT conversions.period_grain, conversions.period_start, conversions.conversion_event, models.model,
               conversions.conversions, coalesce(credits.credit, 0), credits.revenue, revenue.revenue
        FROM conversions CROSS JOIN models
        LEFT JOIN credits USING (period_grain, period_start, conversion_event, model)
        LEFT JOIN revenue USING (period_grain, period_start)""")
    assert len({row[3] for row in credited}) == 7
    for grain, start, event, model, conversions, credit, revenue, expected_revenue in credited:
        assert credit == pytest.approx(conversions, abs=1e-6), (grain, start, event, model)
        if event == "customer" and conversions:
            assert revenue == pytest.approx(expected_revenue), (grain, start, model)
    # Every period and model: the channels sum to the period's spend, S&M cost, new leads and new customers.
    mismatches = project.query("""
        SELECT e.period_grain, e.period_start, e.model
        FROM (SELECT period_grain, period_start, model, sum(spend) AS spend, sum(sm_cost) AS sm_cost,
                     sum(attributed_leads) AS leads, sum(attributed_customers) AS customers
              FROM marts.channel_economics GROUP BY ALL) e
        JOIN marts.cac c USING (period_grain, period_start)
        WHERE abs(e.spend - c.paid_spend) > 1e-6 OR abs(e.sm_cost - c.sm_cost) > 1e-6
           OR abs(e.leads - c.new_leads) > 1e-6 OR abs(e.customers - c.new_customers) > 1e-6""")
    assert mismatches == []
    # Every period with costs or conversions has its channels.
    assert project.query("SELECT period_grain, period_start FROM marts.cac WHERE sm_cost > 0 OR new_leads > 0 "
                         "OR new_customers > 0 EXCEPT SELECT period_grain, period_start FROM marts.channel_economics"
                         ) == []


def test_demo_paths_make_the_models_disagree(demo):
    project, _, _ = demo
    # The demo holds enough acquisitions for the Markov model to be the default.
    assert project.one("SELECT model FROM intermediate.attribution_model") == ("markov",)
    assert project.one("SELECT DISTINCT attribution_model FROM marts.cac_by_segment") == ("markov",)
    # Customers won in 2025: first touch credits discovery (ads, search), last touch the sales meetings that close.
    shares = {channel: (first, last, linear, markov) for channel, first, last, linear, markov in project.query(
        "SELECT channel, first_touch, last_touch, linear, markov FROM marts.attribution_comparison "
        "WHERE period_grain = 'year' AND period_start = '2025-01-01' AND conversion_event = 'customer'")}
    assert shares["sales"][0] == 0 and shares["sales"][1] > 0.3
    assert shares["paid_search"][0] > shares["paid_search"][1] + 0.1
    assert max(abs(linear - markov) for _, _, linear, markov in shares.values()) > 0.03
    # Multi-touch paths: customers' paths hold several touches.
    assert project.one("SELECT avg(path_length) > 3 FROM intermediate.attribution_paths "
                       "WHERE conversion_event = 'customer' AND converted") == (True,)

"""Every metric of the marts on a fixture small enough to check by hand (METRICS.md is the spec).

The fixture, reporting currency EUR, time zone UTC, one FX rate (1 EUR = 1.25 USD, so 1 USD = 0.80 EUR):

  account D  lead c5 2024-12-01   won d0 2024-12-10, 1000 EUR, contract 2024-12-10..2025-12-09
  account A  lead c1 2025-01-05   won d1 closed 2025-01-31T23:30-02:00 = 2025-02-01 01:30 UTC (a February win),
                                  1200 EUR, contract 2025-02-01..2026-01-31;
                                  won d2 2025-03-10, 500 USD = 400 EUR, expansion (not a new customer)
  account B  lead c2 2025-01-20   lost d3 2025-02-20
  account C  lead c3 2025-02-10   won d4 2025-02-25, 600 EUR, contract 2025-02-25..2025-03-24 (churns 2025-03-24)
  contact c4 (no company) lead 2025-03-15, won d5 2025-03-20, 300 EUR, no contract (transactional)

  paid spend: 2025-01-15 g1 100 USD = 80 EUR; 2025-02-15 g1 200 EUR; 2025-03-15 m1 50 EUR
  ledger: k1 marketing salaries 3000 EUR over 2025-01-16..2025-02-14 (30 days = 100/day: Jan 1600, Feb 1400);
          k2 sales commissions 620 EUR over March.
  touchpoint: t1 c4 2025-03-25 paid_search g1 — after c4 became a lead (03-15) and after its win (03-20).

Everything "to date" is judged at PAYBACK_AS_OF = 2026-03-25.
"""

import shutil
from contextlib import closing
from datetime import date

import pytest

from pipelines.config import Settings
from pipelines.sql_models import discover_models
from pipelines.warehouse import connect
from tests.conftest import Project, failed_checks


def write_fixture(project: Project) -> None:
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2024-11-01,EUR,USD,1.25
    """)
    project.write("companies.csv", """
        company_id,name,country,industry,employees
        A,Acme,FR,software,40
        B,Beta,DE,retail,500
        C,Gamma,FR,software,8
        D,Delta,GB,finance,3000
    """)
    project.write("contacts.csv", """
        contact_id,created_at,company_id,lead_at,original_channel,original_campaign_id,country
        c5,2024-12-01,D,,events,,
        c1,2025-01-05T10:00:00Z,A,,paid_search,g1,
        c2,2025-01-20T10:00:00Z,B,,paid_search,g1,
        c3,2025-02-10T10:00:00Z,C,,organic_search,,
        c4,2025-03-15T10:00:00Z,,,paid_social,m1,ES
    """)
    project.write("deals.csv", """
        deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency,deal_type,contract_start,contract_end
        d0,D,c5,2024-12-01,won,2024-12-10T12:00:00Z,1000,EUR,new,2024-12-10,2025-12-09
        d1,A,c1,2025-01-06,won,2025-01-31T23:30:00-02:00,1200,EUR,new,2025-02-01,2026-01-31
        d2,A,c1,2025-02-10,won,2025-03-10T12:00:00Z,500,USD,expansion,,
        d3,B,c2,2025-01-25,lost,2025-02-20T12:00:00Z,900,EUR,new,,
        d4,C,c3,2025-02-12,won,2025-02-25T12:00:00Z,600,EUR,new,2025-02-25,2025-03-24
        d5,,c4,2025-03-16,won,2025-03-20T12:00:00Z,300,EUR,new,,
    """)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency,channel
        2025-01-15,google_ads,g1,100,USD,paid_search
        2025-02-15,google_ads,g1,200,EUR,paid_search
        2025-03-15,meta,m1,50,EUR,paid_social
    """)
    project.write("costs.csv", """
        cost_id,start_date,end_date,team,category,amount,currency
        k1,2025-01-16,2025-02-14,marketing,salaries,3000,EUR
        k2,2025-03-01,2025-03-31,sales,commissions,620,EUR
    """)
    project.write("touchpoints.csv", """
        touchpoint_id,contact_id,touched_at,channel,campaign_id
        t1,c4,2025-03-25T10:00:00Z,paid_search,g1
    """)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("metrics"), PAYBACK_AS_OF="2026-03-25")
    write_fixture(project)
    result = project.run()
    assert failed_checks(result) == {}
    return project


def row(project, mart, grain, start, columns):
    return project.one(f"SELECT {columns} FROM marts.{mart} WHERE period_grain = ? AND period_start = ?",
                       [grain, start])


@pytest.mark.parametrize("grain,start,expected", [
    # Jan: paid 100 USD = 80; ledger 16 days x 100 = 1600; no new customer; leads c1, c2.
    ("month", "2025-01-01", (80, 1600, 1680, 0, 2, None, None, 40)),
    # Feb: paid 200; ledger 14 days x 100 = 1400; new A (won 02-01 01:30 UTC) and C; lead c3.
    ("month", "2025-02-01", (200, 1400, 1600, 2, 1, 800, 100, 200)),
    # Mar: paid 50; commissions 620; new c4 only (A's second win is expansion); lead c4.
    ("month", "2025-03-01", (50, 620, 670, 1, 1, 670, 50, 50)),
    # Q1: paid 330, other 3620, sm 3950, 3 new, 4 leads: cac 3950/3, paid_cac 110, cpl 82.5.
    ("quarter", "2025-01-01", (330, 3620, 3950, 3, 4, 3950 / 3, 110, 82.5)),
])
def test_cac_paid_cac_and_cpl_by_month_and_quarter(built, grain, start, expected):
    actual = row(built, "cac", grain, start,
                 "paid_spend, other_sm_cost, sm_cost, new_customers, new_leads, cac, paid_cac, cpl")
    assert actual == pytest.approx(expected)


def test_zero_new_customers_gives_null_cac_but_still_shows_cost(built):
    assert row(built, "cac", "month", "2025-01-01", "sm_cost, cac, cac_null_reason") == (
        pytest.approx(1680), None, "no_new_customers")
    assert row(built, "cac", "month", "2025-02-01", "cac_null_reason") == (None,)


def test_period_without_cost_data_has_null_costs_and_ratios_not_zero(built):
    # December 2024: D is acquired (d0) and c5 becomes a lead, but no spend and no ledger line covers any day of it.
    assert row(built, "cac", "month", "2024-12-01",
               "paid_spend, other_sm_cost, sm_cost, new_customers, new_leads, cac, paid_cac, cpl, cac_null_reason"
               ) == (None, None, None, 1, 1, None, None, None, "no_cost_data")
    # With no CAC there is no payback and no LTV:CAC: nothing is on target.
    assert row(built, "unit_economics", "month", "2024-12-01",
               "cac, cac_null_reason, cac_payback_months, ltv_to_cac, payback_status, ltv_to_cac_status, status"
               ) == (None, "no_cost_data", None, None, "unknown", "unknown", "unknown")
    # Q4 2024 is December alone: the same.
    assert row(built, "cac", "quarter", "2024-10-01", "sm_cost, cac_null_reason") == (None, "no_cost_data")
    # Each segment's cost is unknown too, and they still sum to the period's (unknown) cost.
    assert built.query("SELECT DISTINCT sm_cost FROM marts.cac_by_segment WHERE period_grain = 'month' "
                       "AND period_start = '2024-12-01'") == [(None,)]


def test_second_win_of_same_account_is_expansion_not_new_customer(built):
    # A won d1 in February and d2 in March: only one new customer, acquired in February.
    assert built.one("SELECT acquired_date::VARCHAR FROM intermediate.customers WHERE account_id = 'A'") == (
        "2025-02-01",)


@pytest.mark.parametrize("grain,start,expected", [
    ("month", "2025-01-01", (2, 0, 0.0)),
    ("month", "2025-02-01", (1, 2, 2.0)),
    ("month", "2025-03-01", (1, 1, 1.0)),
    ("quarter", "2025-01-01", (4, 3, 0.75)),
])
def test_lead_to_customer_rate_period_form(built, grain, start, expected):
    assert row(built, "conversion", grain, start, "new_leads, new_customers, lead_to_customer_rate") == \
        pytest.approx(expected)


def test_conversion_cohort_form(built):
    # Q1 leads: c1 (01-05, A acquired 02-01: 27 days), c2 (never), c3 (02-10 -> 02-25: 15 days),
    # c4 (03-15 -> 03-20: 5 days). Within 30 days: 3 of 4; median of 27, 15, 5 = 15.
    actual = row(built, "conversion", "quarter", "2025-01-01",
                 "converted_30d, converted_to_date, cohort_rate_30d, cohort_rate_to_date, median_days_to_convert")
    assert actual == pytest.approx((3, 3, 0.75, 0.75, 15))
    # January cohort: c1 in 27 days, c2 never: 1 of 2.
    assert row(built, "conversion", "month", "2025-01-01", "converted_30d, cohort_rate_30d, median_days_to_convert"
               ) == pytest.approx((1, 0.5, 27))


@pytest.mark.parametrize("grain,start,expected", [
    # Jan: D active all month: (1 - 0) / 1.
    ("month", "2025-01-01", (1, 0, 0, 1, 1.0, 0.0)),
    # Feb: A and C join: (3 - 2) / 1.
    ("month", "2025-02-01", (1, 2, 0, 3, 1.0, 0.0)),
    # Mar: c4 joins, C's contract ends 03-24: (3 - 1) / 3.
    ("month", "2025-03-01", (3, 1, 1, 3, 2 / 3, 1 / 3)),
    # Q1: 1 at start, 3 new, C lost, 3 at end: (3 - 3) / 1 = 0, the source articles' formula.
    ("quarter", "2025-01-01", (1, 3, 1, 3, 0.0, 1.0)),
])
def test_retention_with_a_churned_contract(built, grain, start, expected):
    actual = row(built, "retention", grain, start,
                 "customers_start, new_customers, churned_customers, customers_end, retention_rate, churn_rate")
    assert actual == pytest.approx(expected)


def test_usd_amount_converted_at_the_nearest_earlier_rate(built):
    assert built.one("SELECT amount_reporting FROM intermediate.deals WHERE deal_id = 'd2'") == pytest.approx((400,))


def test_unit_economics_for_march(built):
    # Revenue recognized in March: d0 1000*31/365 + d1 1200*31/365 + d4 600*24/28 + d2 400 + d5 300.
    revenue = 1000 * 31 / 365 + 1200 * 31 / 365 + 600 * 24 / 28 + 400 + 300
    # Active account-months: 3 at the start of March + 1 new = 4. One account lost (C).
    arpa, churn = revenue / 4, 1 / 4
    ltv = arpa / churn
    actual = row(built, "unit_economics", "month", "2025-03-01",
                 "cac, arpa, monthly_churn_rate, ltv, ltv_to_cac, cac_payback_months, ltv_to_cac_status, "
                 "payback_status, status")
    assert actual[:6] == pytest.approx((670, arpa, churn, ltv, ltv / 670, 670 / arpa))
    # LTV:CAC 2.09 < 3 misses its target; payback 1.9 months <= 12 meets it: off target overall.
    assert actual[6:] == ("below_target", "on_target", "off_target")


def test_payback_slower_than_target_is_too_slow(built, tmp_path):
    # February: CAC 1600 / 2 = 800. Recognized revenue: d0 1000*28/365 + d1 1200*28/365 + d4 600*4/28 (its 4 of 28
    # contract days); active account-months 1 + 2 = 3. Payback = 800 / (revenue / 3) = 9.43 months: on target at
    # 12, too slow at PAYBACK_TARGET_MONTHS=9 (unit_economics rebuilt on a copy of the database).
    arpa = (1000 * 28 / 365 + 1200 * 28 / 365 + 600 * 4 / 28) / 3
    assert row(built, "unit_economics", "month", "2025-02-01", "cac_payback_months, payback_status") == (
        pytest.approx(800 / arpa), "on_target")
    shutil.copy(built.settings.duckdb_path, tmp_path / "copy.duckdb")
    settings = Settings.from_env({"PAYBACK_DUCKDB_PATH": str(tmp_path / "copy.duckdb"), "PAYBACK_TARGET_MONTHS": "9"})
    model = next(m for m in discover_models() if (m.schema, m.name) == ("marts", "unit_economics"))
    with closing(connect(settings)) as con:
        model.materialize(con)
        assert con.execute("SELECT payback_status, status FROM marts.unit_economics WHERE period_grain = 'month' "
                           "AND period_start = '2025-02-01'").fetchall() == [("too_slow", "off_target")]


def test_cohort_ltv_to_cac_once_the_cohort_has_had_12_and_24_months(built):
    # February 2025 cohort (A, C), CAC 800. Realized LTV at 12 and at 24 months: A d1 1200 + d2 400, C d4 600, so
    # (1600 + 600) / 2 = 1100 either way; published once the last day of February 2025 is 12 (24) months old.
    ltv_12m, ltv_24m = row(built, "unit_economics", "month", "2025-02-01",
                           "cohort_ltv_to_cac_12m, cohort_ltv_to_cac_24m")
    assert ltv_12m == pytest.approx(1100 / 800)
    assert ltv_24m == (pytest.approx(1100 / 800) if date.today() >= date(2027, 2, 28) else None)
    # December 2024 cohort (D): no CAC (no cost data), so no cohort LTV:CAC either.
    assert row(built, "unit_economics", "month", "2024-12-01", "cohort_ltv_to_cac_12m") == (None,)


def test_cohort_retention_triangle(built):
    # February 2025 cohort: A (kept) and C (acquired 02-25, lost 03-24: still active 0 months later, not 1).
    cells = built.query("SELECT months_since_acquisition, cohort_size, active_customers FROM marts.cohort_retention "
                        "WHERE cohort_month = '2025-02-01' AND months_since_acquisition <= 2 ORDER BY 1")
    assert cells == [(0, 2, 2), (1, 2, 1), (2, 2, 1)]


def test_realized_ltv_of_february_cohort(built):
    # A: d1 1200 (02-01) + d2 400 (03-10); C: d4 600. Within 3 months: (1600 + 600) / 2 = 1100.
    assert row(built, "ltv", "month", "2025-02-01", "cohort_size, realized_ltv_3m") == pytest.approx((2, 1100))


def test_segment_costs_sum_to_period_cost(built):
    # Q1, by channel: g1 spend 280 over its Q1 leads c1, c2 (140 each, paid_search); m1 50 over c4 (paid_social);
    # the 3620 of ledger cost follows in proportion: paid_search 280/330, paid_social 50/330 of 3950.
    segments = dict(built.query(
        "SELECT segment, sm_cost FROM marts.cac_by_segment WHERE period_grain = 'quarter' "
        "AND period_start = '2025-01-01' AND dimension = 'channel'"))
    assert segments == pytest.approx({"paid_search": 3950 * 280 / 330, "paid_social": 3950 * 50 / 330,
                                      "organic_search": 0.0})
    totals = built.query(
        "SELECT s.dimension, sum(s.sm_cost), any_value(c.sm_cost) FROM marts.cac_by_segment s "
        "JOIN marts.cac c USING (period_grain, period_start) GROUP BY s.period_grain, s.period_start, s.dimension")
    for _, segment_total, period_total in totals:
        assert segment_total == pytest.approx(period_total)


def test_touches_after_the_conversion_take_no_credit(built):
    # c4's only touch (paid_search g1, 03-25) comes after its lead date and its account's win: c4 stays with its
    # original source, paid_social m1, as a lead and as a customer.
    assert built.one("SELECT channel, campaign_id FROM intermediate.leads WHERE contact_id = 'c4'") == (
        "paid_social", "m1")
    assert built.one("SELECT channel, campaign_id FROM intermediate.customers WHERE account_id = 'contact:c4'") == (
        "paid_social", "m1")


@pytest.mark.parametrize("dimension,expected", [
    # Q1 leads: c1, c2 on g1 (paid_search), c3 organic (no campaign), c4 on m1 (paid_social). g1 spent 280 in Q1
    # (80 + 200), m1 50: CPL g1 280/2, m1 50/1, none 0/1. New customers: A (g1), C (none), c4 (m1). The 3620 of
    # ledger cost follows attributed spend: g1 3950 * 280/330, m1 3950 * 50/330.
    ("campaign", {"g1": (280, 3950 * 280 / 330, 2, 1, 140, 3950 * 280 / 330),
                  "m1": (50, 3950 * 50 / 330, 1, 1, 50, 3950 * 50 / 330),
                  "unknown": (0, 0, 1, 1, 0, 0)}),
    ("channel", {"paid_search": (280, 3950 * 280 / 330, 2, 1, 140, 3950 * 280 / 330),
                 "paid_social": (50, 3950 * 50 / 330, 1, 1, 50, 3950 * 50 / 330),
                 "organic_search": (0, 0, 1, 1, 0, 0)}),
])
def test_cpl_and_cac_by_channel_and_campaign(built, dimension, expected):
    rows = built.query("SELECT segment, attributed_spend, sm_cost, new_leads, new_customers, cpl, cac "
                       "FROM marts.cac_by_segment WHERE period_grain = 'quarter' AND period_start = '2025-01-01' "
                       "AND dimension = ?", [dimension])
    assert {segment: values for segment, *values in rows} == {
        segment: pytest.approx(values) for segment, values in expected.items()}


def test_realized_ltv_is_published_once_every_account_of_the_cohort_has_had_k_months(built):
    """The Q1 2025 cohort is A (02-01), C (02-25) and c4 (03-20); the last has had 12 months on 2026-03-20, before
    PAYBACK_AS_OF (2026-03-25), although the quarter's last day (03-31) has not. Within 12 months: A 1200 + 400,
    C 600, c4 300: 2500 / 3. 24 months: not yet. The year 2025 cohort is the same three accounts."""
    for grain in ("quarter", "year"):
        assert row(built, "ltv", grain, "2025-01-01", "cohort_size, realized_ltv_12m, realized_ltv_24m") == (
            3, pytest.approx(2500 / 3), None)

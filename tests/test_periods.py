"""Periods follow the reporting time zone and the fiscal year (METRICS: Periods)."""

import pytest

from tests.conftest import Project


@pytest.fixture(scope="module")
def paris(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("paris"), REPORTING_TIMEZONE="Europe/Paris",
                      FISCAL_YEAR_START_MONTH="4")
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        d1,A,2025-01-10,won,2025-01-31T23:30:00Z,100,EUR
        d2,B,2025-01-10,won,2025-03-01,100,EUR
    """)
    project.write("costs.csv", """
        cost_id,start_date,end_date,team,category,amount,currency
        k1,2025-03-01,2025-04-30,sales,salaries,610,EUR
    """)
    project.run()
    return project


def test_event_belongs_to_the_month_of_its_local_time(paris):
    # 23:30 UTC on Jan 31 is 00:30 on Feb 1 in Paris: a February customer.
    assert paris.one("SELECT acquired_date::VARCHAR FROM intermediate.customers WHERE account_id = 'A'") == (
        "2025-02-01",)


def test_bare_date_means_midnight_in_the_reporting_time_zone(paris):
    # "2025-03-01" is 00:00 in Paris, stored as 2025-02-28 23:00 UTC, still a March event.
    assert paris.one("SELECT closed_at::VARCHAR FROM staging.deals WHERE deal_id = 'd2'") == ("2025-02-28 23:00:00",)
    assert paris.one("SELECT new_customers FROM marts.cac WHERE period_grain = 'month' "
                     "AND period_start = '2025-03-01'") == (1,)


def test_fiscal_quarters_and_years_from_the_configured_start_month(paris):
    # Fiscal year from April: Feb and Mar 2025 are fiscal Q4 (Jan-Mar) of the year starting 2024-04-01.
    grains = paris.query("SELECT period_grain, period_start::VARCHAR, period_end::VARCHAR, new_customers "
                         "FROM marts.cac WHERE period_grain LIKE 'fiscal%' AND new_customers > 0 ORDER BY 1")
    assert grains == [("fiscal_quarter", "2025-01-01", "2025-04-01", 2), ("fiscal_year", "2024-04-01",
                                                                            "2025-04-01", 2)]


def test_a_cost_spread_over_two_months_splits_by_days(paris):
    # 610 over 61 days (March 31 + April 30): 10 a day.
    assert paris.query("SELECT other_sm_cost FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start IN ('2025-03-01', '2025-04-01') ORDER BY period_start") == [
        (pytest.approx(310),), (pytest.approx(300),)]

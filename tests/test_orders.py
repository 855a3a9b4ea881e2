"""Transactional buyers (METRICS: Refunds, Churn, Retention, As-of date): orders with positive and negative
amounts, judged at a pinned PAYBACK_AS_OF with a short activity window.

A retailer's orders (EUR, no company: each buyer is its own account), PAYBACK_AS_OF 2025-06-15,
ACTIVE_WINDOW_DAYS 60:

  r1  01-10 +100, 01-20 +50, 03-05 +80, 03-20 -30 (refund)
  r2  01-15 +200, 02-10 -250 (refund of the order and its shipping)
  r3  02-01 -40 (a cancellation, nothing bought)
  r4  02-03 0
  r5  02-05 +60, 04-20 -100 (refund)
  r6  05-01 +90, 06-10 +10

A purchase is an order with a positive amount: r3 and r4 never bought and are never customers; a refund never
restarts the activity clock.
"""

import pytest

from tests.conftest import Project, failed_checks


@pytest.fixture(scope="module")
def retailer(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("retailer"), PAYBACK_AS_OF="2025-06-15", ACTIVE_WINDOW_DAYS="60")
    project.write("orders.csv", """
        order_id,contact_id,ordered_at,amount,currency
        o1,r1,2025-01-10T10:00:00Z,100,EUR
        o2,r1,2025-01-20T10:00:00Z,50,EUR
        o3,r1,2025-03-05T10:00:00Z,80,EUR
        o4,r1,2025-03-20T10:00:00Z,-30,EUR
        o5,r2,2025-01-15T10:00:00Z,200,EUR
        o6,r2,2025-02-10T10:00:00Z,-250,EUR
        o7,r3,2025-02-01T10:00:00Z,-40,EUR
        o8,r4,2025-02-03T10:00:00Z,0,EUR
        o9,r5,2025-02-05T10:00:00Z,60,EUR
        o10,r5,2025-04-20T10:00:00Z,-100,EUR
        o11,r6,2025-05-01T10:00:00Z,90,EUR
        o12,r6,2025-06-10T10:00:00Z,10,EUR
    """)
    assert failed_checks(project.run()) == {}
    return project


def test_refunds_and_cancellations_never_acquire(retailer):
    assert retailer.query("SELECT account_id, acquired_date::VARCHAR FROM intermediate.customers "
                          "ORDER BY acquired_date") == [("contact:r1", "2025-01-10"), ("contact:r2", "2025-01-15"),
                                                        ("contact:r5", "2025-02-05"), ("contact:r6", "2025-05-01")]
    assert retailer.query("SELECT period_start::VARCHAR, new_customers FROM marts.cac WHERE period_grain = 'month' "
                          "AND new_customers > 0 ORDER BY 1") == [("2025-01-01", 2), ("2025-02-01", 1),
                                                                  ("2025-05-01", 1)]


def test_a_refund_never_restarts_the_activity_clock(retailer):
    # Lost 60 days after the last purchase: r1 03-05 -> 05-04, r2 01-15 -> 03-16, r5 02-05 -> 04-06 (its refund
    # of 04-20 is no purchase). r6's last purchase 06-10 -> 08-09 has not passed at 2025-06-15: still active.
    assert retailer.query("SELECT account_id, churned_date::VARCHAR FROM intermediate.customers ORDER BY 1") == [
        ("contact:r1", "2025-05-04"), ("contact:r2", "2025-03-16"), ("contact:r5", "2025-04-06"),
        ("contact:r6", None)]


def test_refunds_reduce_revenue_in_their_month_and_net_negative_is_shown(retailer):
    # February: r2 -250, r3 -40, r4 0, r5 +60 = -230.
    assert retailer.one("SELECT sum(revenue_reporting) FROM intermediate.revenue_monthly "
                        "WHERE month_start = '2025-02-01'") == (pytest.approx(-230),)
    # The February cohort is r5 alone: +60 - 100 = -40 to date, shown as it is.
    assert retailer.one("SELECT cohort_size, realized_ltv_to_date FROM marts.ltv WHERE period_grain = 'month' "
                        "AND period_start = '2025-02-01'") == (1, pytest.approx(-40))


def test_repeat_purchase_retention(retailer):
    """January cohort (first purchase in January): r1, r2. Again in January (k=0): r1 (01-20); February: none
    (r2's refund is no purchase); March (k=2): r1 (03-05); then none up to June, the month of PAYBACK_AS_OF.
    February: r5, never again. May: r6, again in June (k=1)."""
    cells = retailer.query("SELECT cohort_month::VARCHAR, months_since_first_purchase, cohort_size, repeat_buyers, "
                           "repeat_rate FROM marts.repeat_purchase_retention ORDER BY 1, 2")
    assert cells == [
        ("2025-01-01", 0, 2, 1, 0.5), ("2025-01-01", 1, 2, 0, 0.0), ("2025-01-01", 2, 2, 1, 0.5),
        ("2025-01-01", 3, 2, 0, 0.0), ("2025-01-01", 4, 2, 0, 0.0), ("2025-01-01", 5, 2, 0, 0.0),
        ("2025-02-01", 0, 1, 0, 0.0), ("2025-02-01", 1, 1, 0, 0.0), ("2025-02-01", 2, 1, 0, 0.0),
        ("2025-02-01", 3, 1, 0, 0.0), ("2025-02-01", 4, 1, 0, 0.0),
        ("2025-05-01", 0, 1, 0, 0.0), ("2025-05-01", 1, 1, 1, 1.0)]


def test_everything_to_date_is_judged_at_the_as_of_date(retailer):
    # Cohort retention runs to June 2025, the month of PAYBACK_AS_OF, not to the day the test runs.
    assert retailer.one("SELECT max(months_since_acquisition) FROM marts.cohort_retention "
                        "WHERE cohort_month = '2025-01-01'") == (5,)
    # The January cohort's last account was acquired 01-15: it has had 3 months on 04-15, not yet 6 on 06-15.
    # r1: 100 + 50 + 80 - 30 within 3 months of 01-10 (to 04-09): 200; r2: 200 - 250 = -50. Average 75.
    assert retailer.one("SELECT realized_ltv_3m, realized_ltv_6m FROM marts.ltv WHERE period_grain = 'month' "
                        "AND period_start = '2025-01-01'") == (pytest.approx(75), None)
    # The calendar ends at the later of PAYBACK_AS_OF and the last event.
    assert retailer.one("SELECT max(day)::VARCHAR FROM intermediate.calendar") == ("2025-06-15",)


def test_an_account_acquired_after_the_as_of_date_has_no_active_month_yet(tmp_path):
    """PAYBACK_AS_OF 2025-06-15, ACTIVE_WINDOW_DAYS 60. b1 buys on 01-10 and is lost 60 days later (03-11): active
    in January, February and March, 3 account-months. b2 first buys on 08-10, after PAYBACK_AS_OF: acquired, but not
    active in any month up to it. The 2025 cohort: ARPA = b1's 100 / 3 account-months, churn 1 lost / 3; the August
    cohort (b2 alone) has no account-month, so both are undefined."""
    project = Project(tmp_path, PAYBACK_AS_OF="2025-06-15", ACTIVE_WINDOW_DAYS="60")
    project.write("orders.csv", """
        order_id,contact_id,ordered_at,amount,currency
        o1,b1,2025-01-10T10:00:00Z,100,EUR
        o2,b2,2025-08-10T10:00:00Z,100,EUR
    """)
    assert failed_checks(project.run()) == {}
    assert project.one("SELECT cohort_size, arpa, monthly_churn_rate FROM marts.ltv WHERE period_grain = 'year' "
                       "AND period_start = '2025-01-01'") == (2, pytest.approx(100 / 3), pytest.approx(1 / 3))
    assert project.one("SELECT cohort_size, arpa, monthly_churn_rate FROM marts.ltv WHERE period_grain = 'month' "
                       "AND period_start = '2025-08-01'") == (1, None, None)

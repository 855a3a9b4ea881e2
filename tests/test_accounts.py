"""One customer per buyer from the generic exports (METRICS: Account, Customer). The CRM portals are tested
through their local servers in test_hubspot.py, test_pipedrive.py and test_salesforce.py.

The exports have no archived, deleted or merged records: every company and contact they name is live, whether or
not companies.csv or contacts.csv lists it (those files add names and segments).
"""

import pytest

from tests.conftest import Project, failed_checks


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """
      c1 (A) and c2 (B) have customer dates. Won deal d1 (A, c1) 02-01; won deal d2 (A, c2) 02-20 is A's second
          win. c2 is on a won deal, so its customer date does not make B a customer.
      c3 (C) is on won deal d3, which has no company (03-05): the deal's account is c3's company C — one
          customer, not contact:c3 plus C through c3's customer date.
      c4 names company X, which companies.csv does not list; customer date 03-10, no deal: X is live (the exports
          say nothing of deletions), so X is a customer.
      c5 (D) has a customer date 04-01 and order o1 (no company) of 04-01: the order's account is c5's company D,
          acquired by that first order — one customer, not contact:c5 plus D.
      d4 (no company) names c9, whom contacts.csv does not list, won 04-15: c9 is its own account.
    Customers: A (02-01), C (03-05), X (03-10), D (04-01), contact:c9 (04-15) — 5, where each deal's or order's
    company or contact and each customer date's company counted 8 (B, contact:c3, contact:c5 extra).
    """
    project = Project(tmp_path_factory.mktemp("accounts"), PAYBACK_AS_OF="2025-06-30")
    project.write("companies.csv", """
        company_id,name
        A,Acme
        B,Beta
        C,Gamma
        D,Delta
    """)
    project.write("contacts.csv", """
        contact_id,created_at,company_id,customer_at
        c1,2025-01-05,A,2025-02-01
        c2,2025-01-06,B,2025-02-01
        c3,2025-01-07,C,2025-03-05
        c4,2025-01-08,X,2025-03-10
        c5,2025-01-09,D,2025-04-01
    """)
    project.write("deals.csv", """
        deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency
        d1,A,c1,2025-01-10,won,2025-02-01T12:00:00Z,1000,EUR
        d2,A,c2,2025-01-10,won,2025-02-20T12:00:00Z,500,EUR
        d3,,c3,2025-01-10,won,2025-03-05T12:00:00Z,800,EUR
        d4,,c9,2025-01-10,won,2025-04-15T12:00:00Z,300,EUR
    """)
    project.write("orders.csv", """
        order_id,contact_id,company_id,ordered_at,amount,currency
        o1,c5,,2025-04-01T12:00:00Z,90,EUR
    """)
    assert failed_checks(project.run()) == {}
    return project


def test_each_buyer_is_one_customer(exports):
    assert exports.query("SELECT account_id, acquired_date::VARCHAR, acquired_by FROM intermediate.customers "
                         "ORDER BY acquired_date") == [
        ("A", "2025-02-01", "won_deal"), ("C", "2025-03-05", "won_deal"), ("X", "2025-03-10", "crm_lifecycle"),
        ("D", "2025-04-01", "first_order"), ("contact:c9", "2025-04-15", "won_deal")]


def test_deals_and_orders_without_a_company_belong_to_their_contacts_account(exports):
    assert exports.query("SELECT record_type, record_id, account_id FROM intermediate.account_map "
                         "WHERE record_type <> 'contact' ORDER BY 1, 2") == [
        ("deal", "d1", "A"), ("deal", "d2", "A"), ("deal", "d3", "C"), ("deal", "d4", "contact:c9"),
        ("order", "o1", "D")]


def test_second_win_by_the_same_account_is_not_a_new_customer(exports):
    # Q1: A (d1; d2 is expansion), C, X. Q2: D, contact:c9.
    assert exports.query("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                         "AND period_start IN ('2025-01-01', '2025-04-01') ORDER BY period_start") == [(3,), (2,)]

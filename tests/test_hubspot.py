"""HubSpot's own behaviours against a local server that speaks its documented API (tests/fake_apis/hubspot.py):
the request rate limit, associations, merged and archived records, the marts it builds, its CLI selection. What
every API source does (pages, failures, cursor, crash, tokens) is in tests/test_api_sources.py."""

from datetime import datetime, timedelta

import pytest

from tests.api_sources import HUBSPOT, T0
from tests.conftest import Project, api_rows, assert_same_marts, failed_checks
from tests.fake_apis.hubspot import FakeHubSpot

TOKEN = HUBSPOT.token


@pytest.fixture
def hubspot():
    fake = HUBSPOT.server()
    yield fake
    fake.stop()


def test_a_rate_limited_server_is_never_sent_more_than_its_limit_in_a_second(tmp_path):
    """The server answers 429 past 4 requests in a calendar second (HubSpot's search limit); the source, throttled
    to 4 per second, sends them in bursts of 4 and never a fifth within a second of the first."""
    fake = HUBSPOT.server(rate_limit=4)
    try:
        HUBSPOT.add_records(fake, 260)
        HUBSPOT.sync(tmp_path, fake.start(), requests_per_second=4)
    finally:
        fake.stop()
    assert fake.throttled == 0 and len(fake.arrivals) >= 9
    assert api_rows(tmp_path, "SELECT count(*) FROM raw_hubspot.contacts") == [(260,)]
    assert min(later - first for first, later in zip(fake.arrivals, fake.arrivals[4:], strict=False)) >= 1.0
    assert fake.arrivals[3] - fake.arrivals[0] < 0.5  # the first four went without waiting (evenly: 0.77 s)


def test_deals_carry_associations_and_pipeline_stages(tmp_path, hubspot):
    hubspot.add("companies", "501", T0, name="Acme")
    hubspot.add("contacts", "1", T0, email="a@acme.io", associatedcompanyid="501")
    hubspot.add("deals", "9", T0, amount="500", dealstage="closedwon", pipeline="default",
                closedate="2025-01-20T10:00:00Z")
    hubspot.link("9", contact_id="1", company_id="501")
    HUBSPOT.sync(tmp_path, hubspot.start())
    assert api_rows(tmp_path, "SELECT primary_contact_id, primary_company_id FROM raw_hubspot.deals") == [("1", "501")]
    assert api_rows(tmp_path, "SELECT stage_id FROM raw_hubspot.deal_pipelines WHERE is_closed AND probability = 1"
                ) == [("closedwon",)]


# --- the marts from HubSpot equal the marts from the same data as generic exports -----------------------------

CONTACTS = [  # id, created, company, source, campaign
    ("1", "2025-01-05T10:00:00Z", "501", "PAID_SEARCH", "g1"),
    ("2", "2025-01-20T10:00:00Z", "502", "PAID_SEARCH", "g1"),
    ("3", "2025-02-10T10:00:00Z", "503", "ORGANIC_SEARCH", ""),
]
DEALS = [  # id, company, contact, created, stage, closed, amount
    ("11", "501", "1", "2025-01-06T10:00:00Z", "closedwon", "2025-02-01T10:00:00Z", "1200"),
    ("12", "502", "2", "2025-01-25T10:00:00Z", "closedlost", "2025-02-20T10:00:00Z", "900"),
    ("13", "503", "3", "2025-02-12T10:00:00Z", "closedwon", "2025-02-25T10:00:00Z", "600"),
    ("14", "501", "1", "2025-02-10T10:00:00Z", "closedwon", "2025-03-10T10:00:00Z", "400"),
]


def test_marts_from_hubspot_equal_marts_from_the_same_exports(tmp_path, hubspot):
    for contact_id, created, company, source, campaign in CONTACTS:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
        hubspot.add("contacts", contact_id, moment, associatedcompanyid=company, hs_analytics_source=source,
                    hs_analytics_source_data_2=campaign)
    for company in ("501", "502", "503"):
        hubspot.add("companies", company, T0, name=f"Company {company}")
    for deal_id, company, contact, created, stage, closed, amount in DEALS:
        hubspot.add("deals", deal_id, datetime.fromisoformat(closed.replace("Z", "+00:00")),
                    created_at=datetime.fromisoformat(created.replace("Z", "+00:00")), amount=amount,
                    dealstage=stage, pipeline="default", closedate=closed)
        hubspot.link(deal_id, contact_id=contact, company_id=company)
    crm = Project(tmp_path / "crm", HUBSPOT_ACCESS_TOKEN=TOKEN, HUBSPOT_BASE_URL=hubspot.start())
    crm.write("ad_spend.csv", "date,platform,campaign_id,spend,currency\n2025-01-15,google_ads,g1,300,EUR")
    result = crm.run()
    assert failed_checks(result) == {}

    exports = Project(tmp_path / "exports")
    exports.write("ad_spend.csv", "date,platform,campaign_id,spend,currency\n2025-01-15,google_ads,g1,300,EUR")
    exports.write("contacts.csv", "contact_id,created_at,company_id,original_channel,original_campaign_id\n"
                  + "\n".join(f"{c},{created},{company},{source.lower()},{campaign}"
                               for c, created, company, source, campaign in CONTACTS))
    exports.write("companies.csv", "company_id,name\n501,Company 501\n502,Company 502\n503,Company 503")
    exports.write("deals.csv", "deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency\n" +
                  "\n".join(f"{d},{company},{contact},{created},{'won' if stage == 'closedwon' else 'lost'},"
                            f"{closed},{amount},EUR" for d, company, contact, created, stage, closed, amount in DEALS))
    exports.run()
    assert crm.query("SELECT DISTINCT source_system FROM staging.deals") == [("hubspot",)]
    assert_same_marts(crm, exports)
    # No spend and no ledger line in February: no cost data, so no CAC (never 0).
    assert crm.one("SELECT new_customers, cac, cac_null_reason FROM marts.cac WHERE period_grain = 'month' "
                   "AND period_start = '2025-02-01'") == (2, None, "no_cost_data")


def test_cli_run_select_hubspot_syncs_it_and_sources_reports_it(tmp_path, hubspot, monkeypatch, capsys):
    from pipelines.cli import main

    HUBSPOT.add_records(hubspot, 3)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_BASE_URL", hubspot.start())
    monkeypatch.setenv("PAYBACK_DUCKDB_PATH", str(tmp_path / "p.duckdb"))
    monkeypatch.setenv("PAYBACK_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert main(["run"]) == 0  # the first run builds every table
    capsys.readouterr()
    hubspot.add("contacts", "4", T0 + timedelta(days=1), email="new@example.com")
    assert main(["run", "--select", "hubspot"]) == 0
    out = capsys.readouterr().out
    # The lookback (60 minutes before the last change seen) asks again for the three first contacts too.
    assert "raw_hubspot.contacts: 4 rows loaded, 4 in table" in out and "raw_exports" not in out
    assert "marts.cac" in out  # what depends on HubSpot is rebuilt
    assert TOKEN not in out
    assert main(["sources"]) == 0
    table = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert "contacts 4" in table["hubspot"] and table["hubspot"].split()[1] == "yes"
    assert "no — set PIPEDRIVE_API_TOKEN" in table["pipedrive"]
    assert "no — set SALESFORCE_INSTANCE_URL" in table["salesforce"]


def test_merged_contact_resolves_to_the_surviving_contact(tmp_path, hubspot):
    # Contact 2 was merged into contact 1: HubSpot archives 2 and lists it in 1's hs_merged_object_ids.
    hubspot.add("contacts", "1", T0, hs_merged_object_ids="2", createdate="2025-01-05T10:00:00Z",
                hs_analytics_source="PAID_SOCIAL", hs_analytics_source_data_2="li-abm",
                hs_lifecyclestage_lead_date="2025-01-05T10:00:00Z",
                hs_lifecyclestage_customer_date="2025-01-20T10:00:00Z")
    hubspot.add("contacts", "2", T0, archived=True)
    hubspot.add("deals", "9", T0, amount="100", dealstage="closedwon", pipeline="default",
                closedate="2025-01-20T10:00:00Z")
    hubspot.link("9", contact_id="2")
    project = Project(tmp_path, HUBSPOT_ACCESS_TOKEN=TOKEN, HUBSPOT_BASE_URL=hubspot.start())
    project.run()
    assert project.query("SELECT contact_id FROM staging.contacts") == [("1",)]
    assert project.query("SELECT deal_id, contact_id, account_id FROM intermediate.deals") == [
        ("9", "1", "contact:1")]
    # The original source and each lifecycle date become touchpoints under that source.
    touches = project.query("SELECT touch_type, channel, campaign_id FROM staging.touchpoints "
                            "ORDER BY touched_at, 1")
    assert touches == [("lifecycle_lead", "paid_social", "li-abm"), ("original_source", "paid_social", "li-abm"),
                       ("lifecycle_customer", "paid_social", "li-abm")]


def test_lifecycle_stage_dates_reach_the_funnel(tmp_path, hubspot):
    # Two leads in January 2025 from paid search; contact 1 became an MQL and an SQL. No contact has an opportunity
    # date and HubSpot sent no deal: the opportunity stage is not recorded, so its count is NULL, not 0.
    qualified = {"hs_lifecyclestage_marketingqualifiedlead_date": "2025-01-08T10:00:00Z",
                 "hs_lifecyclestage_salesqualifiedlead_date": "2025-01-12T10:00:00Z"}
    for contact_id, day, stages in (("1", "05", qualified), ("2", "07", {})):
        hubspot.add("contacts", contact_id, T0, createdate=f"2025-01-{day}T10:00:00Z",
                    hs_analytics_source="PAID_SEARCH", hs_lifecyclestage_lead_date=f"2025-01-{day}T10:00:00Z", **stages)
    project = Project(tmp_path, HUBSPOT_ACCESS_TOKEN=TOKEN, HUBSPOT_BASE_URL=hubspot.start())
    project.run()
    assert project.query("SELECT contact_id, mql_at::VARCHAR, sql_at::VARCHAR FROM staging.contacts ORDER BY 1") == [
        ("1", "2025-01-08 10:00:00", "2025-01-12 10:00:00"), ("2", None, None)]
    assert project.one(
        "SELECT source_system, channel, leads, mqls, sqls, opportunities, customers, lead_to_mql_rate, "
        "sql_to_opportunity_rate FROM marts.funnel WHERE period_grain = 'month' AND period_start = '2025-01-01'"
    ) == ("hubspot", "paid_search", 2, 1, 1, None, 0, 0.5, None)


# --- one customer per buyer (METRICS: Account, Customer) ---------------------------------------------------------

def add_contact(fake: FakeHubSpot, contact_id: str, lead: str, customer: str | None = None, **properties) -> None:
    created = datetime.fromisoformat(lead + "T10:00:00+00:00")
    fake.add("contacts", contact_id, created, created_at=created, hs_lifecyclestage_lead_date=f"{lead}T10:00:00Z",
             hs_lifecyclestage_customer_date=f"{customer}T10:00:00Z" if customer else None, **properties)


def add_won_deal(fake: FakeHubSpot, deal_id: str, closed: str, contacts: list[str], company: str | None = None):
    moment = datetime.fromisoformat(closed + "T12:00:00+00:00")
    fake.add("deals", deal_id, moment, created_at=moment - timedelta(days=20), amount="1000", dealstage="closedwon",
             pipeline="default", closedate=f"{closed}T12:00:00Z")
    for n, contact in enumerate(contacts):
        fake.link(deal_id, contact_id=contact, company_id=company if n == 0 else None)


def test_one_customer_per_buyer_in_a_portal(tmp_path, hubspot):
    """A portal where each account rule changes who is a customer. HubSpot marks every contact of a won deal as a
    customer (lifecycle), so the lifecycle date must not make a second customer of the same purchase.

    Companies 501, 502, 504, 505, 506 are live; 503 is archived.
      contact 1 (501) and contact 2 (502) are both on won deal 11 of 501 (02-01), both with a customer date:
          501 is a customer from deal 11; contact 2 is on a won deal, so its date does not make 502 one.
      contact 3 (504) is on won deal 12, which has no company (03-05): the deal's account is contact 3's
          company 504 — one customer, not contact:3 plus 504 through contact 3's customer date.
      contacts 4 and 5 name archived company 503, have customer dates (03-10, 03-12) and no deal: each is its
          own account (an archived company is never an account) — two customers, not one 503.
      contact 7 was merged into contact 6 (505); won deal 13 (04-02), no company, still names contact 7: it
          counts as contact 6, so its account is 505; contact 6's customer date (HubSpot set it for that win)
          adds nothing.
      contact 8 (506) is on won deal 14 of archived company 503 (04-10): the deal's account is contact 8's 506.
      contact 9 has no company and a customer date (05-01), no deal: contact:9.
    Customers: 501 (02-01), 504 (03-05), contact:4 (03-10), contact:5 (03-12), 505 (04-02), 506 (04-10),
    contact:9 (05-01) — 7, where crediting each deal's company or contact and each customer date's company
    counted 9 (502, contact:3, 503, contact:6 extra; contact:4, contact:5 missing).
    """
    for company in ("501", "502", "504", "505", "506"):
        hubspot.add("companies", company, T0, name=f"Company {company}")
    hubspot.add("companies", "503", T0, archived=True, name="Gone Inc")
    add_contact(hubspot, "1", "2025-01-05", "2025-02-01", associatedcompanyid="501")
    add_contact(hubspot, "2", "2025-01-10", "2025-02-01", associatedcompanyid="502")
    add_contact(hubspot, "3", "2025-01-15", "2025-03-05", associatedcompanyid="504")
    add_contact(hubspot, "4", "2025-01-20", "2025-03-10", associatedcompanyid="503")
    add_contact(hubspot, "5", "2025-01-25", "2025-03-12", associatedcompanyid="503")
    add_contact(hubspot, "6", "2025-02-01", "2025-04-02", associatedcompanyid="505", hs_merged_object_ids="7")
    hubspot.add("contacts", "7", T0, archived=True)
    add_contact(hubspot, "8", "2025-02-05", "2025-04-10", associatedcompanyid="506")
    add_contact(hubspot, "9", "2025-02-10", "2025-05-01")
    add_won_deal(hubspot, "11", "2025-02-01", ["1", "2"], company="501")
    add_won_deal(hubspot, "12", "2025-03-05", ["3"])
    add_won_deal(hubspot, "13", "2025-04-02", ["7"])
    add_won_deal(hubspot, "14", "2025-04-10", ["8"], company="503")
    project = Project(tmp_path, HUBSPOT_ACCESS_TOKEN=TOKEN, HUBSPOT_BASE_URL=hubspot.start(),
                      PAYBACK_AS_OF="2025-06-30")
    assert failed_checks(project.run()) == {}
    assert project.query("SELECT account_id, acquired_date::VARCHAR, acquired_by FROM intermediate.customers "
                         "ORDER BY acquired_date") == [
        ("501", "2025-02-01", "won_deal"), ("504", "2025-03-05", "won_deal"),
        ("contact:4", "2025-03-10", "crm_lifecycle"), ("contact:5", "2025-03-12", "crm_lifecycle"),
        ("505", "2025-04-02", "won_deal"), ("506", "2025-04-10", "won_deal"),
        ("contact:9", "2025-05-01", "crm_lifecycle")]
    assert project.query("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                         "AND period_start IN ('2025-01-01', '2025-04-01') ORDER BY period_start") == [(4,), (3,)]

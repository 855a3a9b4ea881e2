"""Pipedrive's own behaviours against a local server that speaks its documented API v2
(tests/fake_apis/pipedrive.py): the rate-limit reset header, the marts it builds, one customer per buyer. What
every API source does (pages, failures, cursor, crash, tokens) is in tests/test_api_sources.py."""

import time
from datetime import UTC, datetime

import pytest

from tests.api_sources import PIPEDRIVE, T0
from tests.conftest import Project, api_rows, assert_same_marts, failed_checks

TOKEN = PIPEDRIVE.token


@pytest.fixture
def pipedrive():
    fake = PIPEDRIVE.server()
    yield fake
    fake.stop()


def test_marts_from_pipedrive_equal_marts_from_the_same_exports(tmp_path, pipedrive):
    pipedrive.add("organizations", 501, T0, name="Acme")
    pipedrive.add("organizations", 502, T0, name="Beta")
    pipedrive.add("persons", 1, T0, added=datetime(2025, 1, 5, 10, tzinfo=UTC), name="Ana", org_id=501,
                  emails=[{"value": "ana@acme.io", "primary": True}])
    pipedrive.add("persons", 2, T0, added=datetime(2025, 1, 20, 10, tzinfo=UTC), name="Bo", org_id=502,
                  emails=[])
    pipedrive.add("deals", 11, T0, added=datetime(2025, 1, 6, 10, tzinfo=UTC), status="won", value=1200.0,
                  currency="USD", person_id=1, org_id=501, won_time="2025-02-01T10:00:00Z")
    pipedrive.add("deals", 12, T0, added=datetime(2025, 1, 25, 10, tzinfo=UTC), status="lost", value=900.0,
                  currency="EUR", person_id=2, org_id=502, lost_time="2025-02-20T10:00:00Z")
    fx = "date,base,quote,rate\n2025-01-01,EUR,USD,1.25"
    crm = Project(tmp_path / "crm", PIPEDRIVE_API_TOKEN=TOKEN, PIPEDRIVE_BASE_URL=pipedrive.start())
    crm.write("fx_rates.csv", fx)
    assert failed_checks(crm.run()) == {}

    exports = Project(tmp_path / "exports")
    exports.write("fx_rates.csv", fx)
    exports.write("companies.csv", "company_id,name\n501,Acme\n502,Beta")
    exports.write("contacts.csv", "contact_id,created_at,company_id,email\n1,2025-01-05T10:00:00Z,501,ana@acme.io\n"
                                  "2,2025-01-20T10:00:00Z,502,")
    exports.write("deals.csv", "deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency\n"
                               "11,501,1,2025-01-06T10:00:00Z,won,2025-02-01T10:00:00Z,1200,USD\n"
                               "12,502,2,2025-01-25T10:00:00Z,lost,2025-02-20T10:00:00Z,900,EUR")
    exports.run()
    assert_same_marts(crm, exports)
    assert crm.one("SELECT amount_reporting FROM intermediate.deals WHERE deal_id = '11'") == (960.0,)


def test_429_without_retry_after_waits_for_the_rate_limit_reset_header(tmp_path, pipedrive):
    PIPEDRIVE.add_records(pipedrive, 3)
    pipedrive.fail(429, times=1, path_contains="deals", headers={"X-RateLimit-Reset": "1"})
    started = time.monotonic()
    PIPEDRIVE.sync(tmp_path, pipedrive.start())
    # Backoff alone would retry after ~0.01 s: the wait comes from X-RateLimit-Reset (1 second).
    assert time.monotonic() - started >= 1.0
    assert api_rows(tmp_path, "SELECT count(*) FROM raw_pipedrive.deals") == [(3,)]


def test_one_customer_per_buyer_in_a_company(tmp_path, pipedrive):
    """Organizations 501 and 502 are live, 503 was deleted (Pipedrive no longer lists it); person 5 was deleted.
      deal 11 (501, person 1) won 02-01: 501.
      deal 12 (no organization, person 3 of 502) won 03-01 and deal 13 (502) won 03-15: the first deal's account
          is person 3's organization, so 502 is one customer from 03-01, not contact:3 plus 502.
      deal 14 (deleted 503, person 2 of deleted 503) won 04-01 and deal 15 (no organization, person 2) won 04-20:
          a deleted organization is never an account, so both are person 2's: one customer contact:2 from 04-01.
      deal 17 (no organization, deleted person 5) won 05-01: no live record to be the account, no customer.
    Customers: 501 (02-01), 502 (03-01), contact:2 (04-01) — 3, where each deal's organization or person counted 6.
    """
    for org in (501, 502):
        pipedrive.add("organizations", org, T0, name=f"Org {org}")
    pipedrive.add("organizations", 503, T0, deleted=True, name="Gone")
    for person, org, deleted in ((1, 501, False), (2, 503, False), (3, 502, False), (5, 502, True)):
        pipedrive.add("persons", person, T0, added=datetime(2025, 1, person, 10, tzinfo=UTC), name=f"P{person}",
                      org_id=org, emails=[], deleted=deleted)
    for deal, org, person, won in ((11, 501, 1, "2025-02-01"), (12, None, 3, "2025-03-01"),
                                   (13, 502, 3, "2025-03-15"), (14, 503, 2, "2025-04-01"),
                                   (15, None, 2, "2025-04-20"), (17, None, 5, "2025-05-01")):
        pipedrive.add("deals", deal, T0, added=datetime(2025, 1, 20, 10, tzinfo=UTC), status="won", value=100.0,
                      currency="EUR", person_id=person, org_id=org, won_time=f"{won}T10:00:00Z")
    project = Project(tmp_path, PIPEDRIVE_API_TOKEN=TOKEN, PIPEDRIVE_BASE_URL=pipedrive.start(),
                      PAYBACK_AS_OF="2025-06-30")
    failed = failed_checks(project.run())
    # Deal 17 is a win no live record can be the account of: it counts nowhere, and an ERROR says so.
    assert list(failed) == ["staging/deals:won_deals_complete"]
    assert failed["staging/deals:won_deals_complete"].metadata["failing_keys"].value == (
        "- 17: won deal without live company or contact")
    assert project.query("SELECT account_id, acquired_date::VARCHAR FROM intermediate.customers "
                         "ORDER BY acquired_date") == [("501", "2025-02-01"), ("502", "2025-03-01"),
                                                       ("contact:2", "2025-04-01")]
    assert project.query("SELECT deal_id, account_id FROM intermediate.deals ORDER BY deal_id") == [
        ("11", "501"), ("12", "502"), ("13", "502"), ("14", "contact:2"), ("15", "contact:2"), ("17", None)]

"""Salesforce's own behaviours against a local server that speaks its documented REST API
(tests/fake_apis/salesforce.py): multi-currency orgs, the OAuth flows, an exhausted API quota, the marts it
builds, one customer per buyer. What every API source does (pages, failures, cursor, crash, tokens) is in
tests/test_api_sources.py."""

import logging

import pytest

from tests.api_sources import SALESFORCE, T0
from tests.conftest import Project, api_rows, assert_same_marts, failed_checks, source_error

TOKEN = SALESFORCE.token


@pytest.fixture
def salesforce():
    fake = SALESFORCE.server()
    yield fake
    fake.stop()


def test_currency_iso_code_only_when_the_org_has_it(tmp_path, salesforce):
    salesforce.multi_currency = False
    salesforce.add("Opportunity", "006A", T0, Name="Deal", Amount=10.0, IsClosed=False, IsWon=False)
    SALESFORCE.sync(tmp_path, salesforce.start())
    assert all("CurrencyIsoCode" not in q for q in salesforce.queries() if "FROM Opportunity" in q)
    assert api_rows(tmp_path, "SELECT currency_iso_code FROM raw_salesforce.opportunities") == [(None,)]


def test_client_credentials_flow_gets_the_token_and_no_secret_leaks(tmp_path, salesforce, caplog):
    SALESFORCE.add_records(salesforce, 3)
    with caplog.at_level(logging.DEBUG):
        SALESFORCE.sync(tmp_path, salesforce.start(), client_id="client-id", client_secret="client-secret")
    assert api_rows(tmp_path, "SELECT count(*) FROM raw_salesforce.accounts") == [(3,)]
    token_calls = [body for _, path, _, body in salesforce.requests if path == "/services/oauth2/token"]
    assert token_calls == [{"client_id": "client-id", "client_secret": "client-secret",
                            "grant_type": "client_credentials"}]
    assert TOKEN not in caplog.text and "client-secret" not in caplog.text
    assert all(TOKEN.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_marts_from_salesforce_equal_marts_from_the_same_exports(tmp_path, salesforce):
    salesforce.add("Account", "001A", T0, Name="Acme", CreatedDate="2025-01-02T10:00:00.000+0000")
    salesforce.add("Account", "001B", T0, Name="Beta", CreatedDate="2025-01-02T10:00:00.000+0000")
    salesforce.add("Contact", "003A", T0, AccountId="001A", Email="ana@acme.io",
                   CreatedDate="2025-01-05T10:00:00.000+0000")
    salesforce.add("Contact", "003B", T0, AccountId="001B", CreatedDate="2025-01-20T10:00:00.000+0000")
    salesforce.add("Opportunity", "006A", T0, AccountId="001A", Amount=1200.0, CloseDate="2025-02-01",
                   IsClosed=True, IsWon=True, CurrencyIsoCode="USD", CreatedDate="2025-01-06T10:00:00.000+0000")
    salesforce.add("Opportunity", "006B", T0, AccountId="001B", Amount=900.0, CloseDate="2025-02-20",
                   IsClosed=True, IsWon=False, CurrencyIsoCode="EUR", CreatedDate="2025-01-25T10:00:00.000+0000")
    salesforce.add("OpportunityContactRole", "00KA", T0, OpportunityId="006A", ContactId="003A", IsPrimary=True)
    salesforce.add("OpportunityContactRole", "00KB", T0, OpportunityId="006B", ContactId="003B", IsPrimary=True)
    fx = "date,base,quote,rate\n2025-01-01,EUR,USD,1.25"
    crm = Project(tmp_path / "crm", SALESFORCE_INSTANCE_URL=salesforce.start(), SALESFORCE_ACCESS_TOKEN=TOKEN)
    crm.write("fx_rates.csv", fx)
    assert failed_checks(crm.run()) == {}

    exports = Project(tmp_path / "exports")
    exports.write("fx_rates.csv", fx)
    exports.write("companies.csv", "company_id,name\n001A,Acme\n001B,Beta")
    exports.write("contacts.csv", "contact_id,created_at,company_id,email\n003A,2025-01-05T10:00:00Z,001A,"
                                  "ana@acme.io\n003B,2025-01-20T10:00:00Z,001B,")
    exports.write("deals.csv", "deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency\n"
                               "006A,001A,003A,2025-01-06T10:00:00Z,won,2025-02-01,1200,USD\n"
                               "006B,001B,003B,2025-01-25T10:00:00Z,lost,2025-02-20,900,EUR")
    exports.run()
    assert_same_marts(crm, exports)
    assert crm.query("SELECT deal_id, contact_id, status FROM staging.deals ORDER BY 1") == [
        ("006A", "003A", "won"), ("006B", "003B", "lost")]


def test_refresh_token_flow_is_used_when_a_refresh_token_is_set(tmp_path, salesforce):
    SALESFORCE.add_records(salesforce, 2)
    SALESFORCE.sync(tmp_path, salesforce.start(), client_id="client-id", client_secret="client-secret",
         refresh_token="refresh-me")
    token_calls = [body for _, path, _, body in salesforce.requests if path == "/services/oauth2/token"]
    assert [(call["grant_type"], call["refresh_token"]) for call in token_calls] == [("refresh_token", "refresh-me")]
    assert api_rows(tmp_path, "SELECT count(*) FROM raw_salesforce.accounts") == [(2,)]


def test_exhausted_api_quota_is_not_called_a_token_problem(tmp_path, salesforce):
    SALESFORCE.add_records(salesforce, 2)
    salesforce.fail(403, times=50, path_contains="/services/data/")
    with pytest.raises(Exception) as failure:
        SALESFORCE.sync(tmp_path, salesforce.start())
    assert source_error(failure).startswith("Salesforce API request limit exceeded")


def test_one_customer_per_buyer_in_an_org(tmp_path, salesforce):
    """Accounts 001A and 001B are live, 001C is deleted (queryAll returns it with IsDeleted).
      006A (001A, role 003A) won 02-01: 001A.
      006B (no account, primary role 003C of 001B) won 03-01 and 006C (001B) won 03-15: the first's account is
          its primary contact's account 001B — one customer from 03-01, not contact:003C plus 001B.
      006D (deleted 001C, role 003B of deleted 001C) won 04-01 and 006E (no account, role 003B) won 04-20: a
          deleted account is never an account, both are contact 003B's own: one customer contact:003B.
    Customers: 001A (02-01), 001B (03-01), contact:003B (04-01) — 3, where each opportunity's account or contact
    counted 5.
    """
    for account, deleted in (("001A", False), ("001B", False), ("001C", True)):
        salesforce.add("Account", account, T0, deleted=deleted, Name=account,
                       CreatedDate="2025-01-02T10:00:00.000+0000")
    for contact, account in (("003A", "001A"), ("003B", "001C"), ("003C", "001B")):
        salesforce.add("Contact", contact, T0, AccountId=account, CreatedDate="2025-01-05T10:00:00.000+0000")
    opportunities = [  # id, account, primary contact role, close date
        ("006A", "001A", "003A", "2025-02-01"), ("006B", None, "003C", "2025-03-01"),
        ("006C", "001B", None, "2025-03-15"), ("006D", "001C", "003B", "2025-04-01"),
        ("006E", None, "003B", "2025-04-20")]
    for opportunity, account, role, closed in opportunities:
        salesforce.add("Opportunity", opportunity, T0, AccountId=account, Amount=100.0, CloseDate=closed,
                       IsClosed=True, IsWon=True, CurrencyIsoCode="EUR", CreatedDate="2025-01-20T10:00:00.000+0000")
        if role:
            salesforce.add("OpportunityContactRole", "00K" + opportunity, T0, OpportunityId=opportunity,
                           ContactId=role, IsPrimary=True, CreatedDate="2025-01-20T10:00:00.000+0000")
    # 006B also has a secondary role, created earlier: the primary one names the account.
    salesforce.add("OpportunityContactRole", "00K006B-2", T0, OpportunityId="006B", ContactId="003B",
                   IsPrimary=False, CreatedDate="2025-01-10T10:00:00.000+0000")
    project = Project(tmp_path, SALESFORCE_INSTANCE_URL=salesforce.start(), SALESFORCE_ACCESS_TOKEN=TOKEN,
                      PAYBACK_AS_OF="2025-06-30")
    assert failed_checks(project.run()) == {}
    assert project.query("SELECT account_id, acquired_date::VARCHAR FROM intermediate.customers "
                         "ORDER BY acquired_date") == [("001A", "2025-02-01"), ("001B", "2025-03-01"),
                                                       ("contact:003B", "2025-04-01")]


def test_loading_the_code_location_asks_salesforce_nothing(tmp_path, salesforce):
    """The token is fetched by the sync's first request, not while Dagster loads the code."""
    from pipelines.definitions import build_definitions

    project = Project(tmp_path, SALESFORCE_INSTANCE_URL=salesforce.start(), SALESFORCE_CLIENT_ID="client-id",
                      SALESFORCE_CLIENT_SECRET="client-secret")
    build_definitions(project.settings)
    assert salesforce.requests == []


def closed_port_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("problem", ["unreachable token URL", "wrong client secret"])
def test_a_token_failure_fails_only_the_salesforce_sync_in_one_line(tmp_path, salesforce, problem):
    from dagster import AssetSelection, DagsterInstance

    from pipelines.cli import _root_cause
    from pipelines.definitions import REFRESH_JOB, build_definitions
    from pipelines.run_report import step_failures

    base_url = salesforce.start()
    env = {"SALESFORCE_INSTANCE_URL": base_url, "SALESFORCE_CLIENT_ID": "client-id",
           "SALESFORCE_CLIENT_SECRET": "client-secret"}
    if problem == "unreachable token URL":
        env["SALESFORCE_TOKEN_URL"] = token_url = f"{closed_port_url()}/services/oauth2/token"
        expected = (f"the Salesforce token URL {token_url} cannot be reached (ConnectionError): check "
                    "SALESFORCE_TOKEN_URL (default <SALESFORCE_INSTANCE_URL>/services/oauth2/token)")
    else:
        env["SALESFORCE_CLIENT_SECRET"] = "wrong-secret"
        expected = ("Salesforce refused the OAuth client_credentials flow (HTTP 400): check SALESFORCE_CLIENT_ID, "
                    "SALESFORCE_CLIENT_SECRET")
    project = Project(tmp_path, **env)
    project.write("fx_rates.csv", "date,base,quote,rate\n2025-01-01,EUR,USD,1.25")
    defs = build_definitions(project.settings)
    selection = AssetSelection.groups("raw_exports", "raw_salesforce").resolve(defs.resolve_asset_graph())
    result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=list(selection), raise_on_error=False)
    failures = step_failures(result)
    assert [failure.step_key for failure in failures] == ["raw_salesforce"]
    assert _root_cause(failures[0].step_failure_data.error) == expected
    assert project.one("SELECT count(*) FROM raw_exports.fx_rates") == (1,)  # the exports synced
    assert "wrong-secret" not in expected


def test_a_token_endpoint_that_keeps_failing_is_not_called_a_refused_secret(tmp_path, salesforce):
    salesforce.fail(503, times=50, path_contains="/services/oauth2/token")
    with pytest.raises(Exception) as failure:
        SALESFORCE.sync(tmp_path, salesforce.start(), client_id="client-id", client_secret="client-secret")
    assert source_error(failure).endswith("/services/oauth2/token answered HTTP 503 after retries; nothing was "
                                          "loaded, run the sync again")
    assert len([path for _, path, _, _ in salesforce.requests if path == "/services/oauth2/token"]) == 6

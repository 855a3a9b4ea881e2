"""Each CRM API source as the tests drive it: its local server (`tests/fake_apis/`), a sync through the project's
own dlt pipeline, and what the behaviours every source shares (tests/test_api_sources.py) need to know of it: which
table they load, where to inject a failure, how its pages, cursor and deletions show."""

from datetime import UTC, datetime, timedelta

from pipelines.sources.hubspot import hubspot_source
from pipelines.sources.pipedrive import pipedrive_source
from pipelines.sources.salesforce import salesforce_source
from tests.conftest import api_rows, sync_api_source
from tests.fake_apis.hubspot import FakeHubSpot
from tests.fake_apis.pipedrive import FakePipedrive
from tests.fake_apis.salesforce import FakeSalesforce

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class HubSpot:
    name = "hubspot"
    token = "pat-na1-0123-secret-token-4567"
    wrong_token = {"token": "pat-wrong"}
    refused = "HubSpot refused the token (HTTP 401): set HUBSPOT_ACCESS_TOKEN"
    table = "raw_hubspot.contacts"
    paged_records = 260  # 2.6 times the search cap of 100: the search window must restart twice
    failing_paths = {429: "contacts/search", 500: "contacts/search"}
    down_after = 2

    def server(self, **options) -> FakeHubSpot:
        return FakeHubSpot(token=self.token, result_cap=100, **options)

    def sync(self, tmp_path, base_url, **options):
        source = hubspot_source(access_token=options.pop("token", self.token), base_url=base_url, result_cap=100,
                                backoff_factor=0.01, **options)
        return sync_api_source(tmp_path, source, "raw_hubspot")

    def add_records(self, fake: FakeHubSpot, count: int) -> None:
        for n in range(1, count + 1):
            fake.add("contacts", str(n), T0 + timedelta(minutes=n), email=f"p{n}@example.com",
                     hs_analytics_source="PAID_SEARCH")

    def assert_paged(self, fake: FakeHubSpot) -> None:
        # No search ever asked past the cap.
        assert all(int(body.get("after") or 0) < 100 for body in fake.searches("contacts"))

    def change_and_delete(self, fake: FakeHubSpot) -> None:
        fake.add("contacts", "7", T0 + timedelta(days=2), email="updated@example.com")
        fake.add("contacts", "8", T0 + timedelta(days=2), archived=True)

    def assert_asked_from(self, requests: list, since: datetime) -> None:
        second = [body for method, path, _, body in requests if path == "/crm/v3/objects/contacts/search"]
        assert [f["value"] for f in second[0]["filterGroups"][0]["filters"] if f["operator"] == "GTE"] == [
            str(int(since.timestamp() * 1000))]

    def assert_changed_and_deleted(self, tmp_path) -> None:
        assert api_rows(tmp_path, "SELECT email FROM raw_hubspot.contacts WHERE id = '7'") == [
            ("updated@example.com",)]
        assert api_rows(tmp_path, "SELECT archived FROM raw_hubspot.contacts WHERE id = '8'") == [(True,)]


class Pipedrive:
    name = "pipedrive"
    token = "0123456789abcdef-pipedrive-secret"
    wrong_token = {"token": "wrong-token"}
    refused = "Pipedrive refused the token (HTTP 401): set PIPEDRIVE_API_TOKEN"
    table = "raw_pipedrive.deals"
    paged_records = 1200  # three pages of 500
    failing_paths = {429: "deals", 500: "deals"}
    down_after = 2

    def server(self, **options) -> FakePipedrive:
        return FakePipedrive(token=self.token, **options)

    def sync(self, tmp_path, base_url, **options):
        source = pipedrive_source(api_token=options.pop("token", self.token), base_url=base_url, backoff_factor=0.01,
                                  **options)
        return sync_api_source(tmp_path, source, "raw_pipedrive")

    def add_records(self, fake: FakePipedrive, count: int) -> None:
        for n in range(1, count + 1):
            fake.add("deals", n, T0 + timedelta(minutes=n), title=f"Deal {n}", value=100.0 * n, currency="EUR",
                     status="open", person_id=None, org_id=n)

    def assert_paged(self, fake: FakePipedrive) -> None:
        assert [p.get("cursor") is None for p in fake.listed("deals") if p.get("status") != "deleted"].count(
            False) == 2  # pages two and three were asked with the cursor

    def change_and_delete(self, fake: FakePipedrive) -> None:
        fake.add("deals", 5, T0 + timedelta(days=1), title="Deal 5", value=999.0, currency="USD", status="won",
                 won_time="2025-01-07T10:00:00Z", org_id=5)
        fake.add("deals", 6, T0 + timedelta(days=1), deleted=True, title="Deal 6", value=1.0, currency="EUR",
                 status="open", org_id=6)

    def assert_asked_from(self, requests: list, since: datetime) -> None:
        asked = [params for _, path, params, _ in requests if path == "/api/v2/deals"]
        assert {p["updated_since"] for p in asked} == {since.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def assert_changed_and_deleted(self, tmp_path) -> None:
        assert api_rows(tmp_path, "SELECT status, value, currency FROM raw_pipedrive.deals WHERE id = 5") == [
            ("won", 999.0, "USD")]
        assert api_rows(tmp_path, "SELECT is_deleted FROM raw_pipedrive.deals WHERE id = 6") == [(True,)]


class Salesforce:
    name = "salesforce"
    token = "00DRO000001-salesforce-secret-session"
    wrong_token = {"access_token": "expired"}
    refused = "Salesforce refused the token (HTTP 401): set SALESFORCE_ACCESS_TOKEN"
    table = "raw_salesforce.accounts"
    paged_records = 130  # three pages of 50
    failing_paths = {429: "queryAll", 500: "/query/"}
    down_after = 3

    def server(self, **options) -> FakeSalesforce:
        return FakeSalesforce(token=self.token, page_size=50, **options)

    def sync(self, tmp_path, base_url, **options):
        if "access_token" not in options and "client_id" not in options:
            options["access_token"] = self.token
        source = salesforce_source(instance_url=base_url, backoff_factor=0.01, **options)
        return sync_api_source(tmp_path, source, "raw_salesforce")

    def add_records(self, fake: FakeSalesforce, count: int) -> None:
        for n in range(1, count + 1):
            fake.add("Account", f"001{n:06d}", T0 + timedelta(minutes=n), Name=f"Account {n}",
                     CreatedDate="2025-01-02T10:00:00.000+0000")

    def assert_paged(self, fake: FakeSalesforce) -> None:
        pages = [path for _, path, _, _ in fake.requests if "/query/01gFAKE" in path]
        assert len(set(pages)) == 2

    def change_and_delete(self, fake: FakeSalesforce) -> None:
        fake.add("Account", "001000003", T0 + timedelta(days=1), Name="Renamed")
        fake.add("Account", "001000004", T0 + timedelta(days=1), deleted=True, Name="Account 4")

    def assert_asked_from(self, requests: list, since: datetime) -> None:
        asked = [params["q"] for _, _, params, _ in requests if "q" in params and "FROM Account " in params["q"]]
        assert asked == [asked[0]] and f"WHERE SystemModstamp >= {since:%Y-%m-%dT%H:%M:%SZ}" in asked[0]

    def assert_changed_and_deleted(self, tmp_path) -> None:
        assert api_rows(tmp_path, "SELECT name FROM raw_salesforce.accounts WHERE id = '001000003'") == [
            ("Renamed",)]
        assert api_rows(tmp_path, "SELECT is_deleted FROM raw_salesforce.accounts WHERE id = '001000004'") == [
            (True,)]


HUBSPOT, PIPEDRIVE, SALESFORCE = HubSpot(), Pipedrive(), Salesforce()
API_SOURCES = (HUBSPOT, PIPEDRIVE, SALESFORCE)

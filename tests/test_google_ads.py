"""Google Ads against a local server that speaks its documented REST API (tests/fake_apis/google_ads.py): the
OAuth refresh-token exchange, searchStream batches with int64 values as strings and zero metrics left out, restated
days, 429 RESOURCE_EXHAUSTED with a retry delay, 401/403, manager accounts; its variables; a whole run."""

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.config import ConfigError, Settings
from pipelines.definitions import build_definitions
from pipelines.sources.ad_platforms import today
from pipelines.sources.google_ads import google_ads_source
from pipelines.sources.google_ads.settings import REQUESTS_PER_SECOND
from tests.ad_report_rows import ad_report_rows
from tests.conftest import Project, api_rows, failed_checks, source_error, staged, sync_api_source
from tests.fake_apis.google_ads import RATE_LIMIT, VERSION, FakeGoogleAds

FIXTURES = Path(__file__).parent / "fixtures" / "ad_reports"
SECRETS = ("client-secret", "refresh-token", "developer-token", "ya29.access-token")
CUSTOMER = "1234567890"
BRAND, GENERIC = "9876543210", "9876543211"


@pytest.fixture
def google():
    fake = FakeGoogleAds(currencies={CUSTOMER: "USD"})
    yield fake
    fake.stop()


def sync(tmp_path, fake: FakeGoogleAds, base_url: str, **options):
    options.setdefault("customer_ids", ["123-456-7890"])
    options.setdefault("start_date", today() - timedelta(days=60))
    options.setdefault("requests_per_second", None)  # unpaced, but where a test is about the pace
    source = google_ads_source(developer_token="developer-token", client_id=fake.client_id,
                               client_secret="client-secret", refresh_token=options.pop("refresh_token",
                                                                                        "refresh-token"),
                               base_url=f"{base_url}/{VERSION}", token_url=f"{base_url}/token", backoff_factor=0.01,
                               **options)
    return sync_api_source(tmp_path, source, "raw_google_ads")


def add_report_fixture(fake: FakeGoogleAds, first: date) -> None:
    """The campaign days of tests/fixtures/ad_reports/google_ads_campaign_report.csv, from `first` on, as the API
    serves them: cost in micros, a zero metric left out."""
    days = [first, first + timedelta(days=1), first + timedelta(days=2)]
    fake.add(CUSTOMER, BRAND, days[0], "Brand - Search", 2_500_000_000, 1000, 80, 4.0)
    fake.add(CUSTOMER, GENERIC, days[0], "Generic - Search", 3_000_000, 500, 10)
    fake.add(CUSTOMER, BRAND, days[1], "Brand - Search", 1_234_560_000, 2345, 91, 2.5)
    fake.add(CUSTOMER, GENERIC, days[1], "Generic - Search", 10_000, 12, 1)
    fake.add(CUSTOMER, BRAND, days[2], "Brand - Search", 987_650_000, 1111, 40, 1.0)
    fake.add(CUSTOMER, GENERIC, days[2], "Generic - Search", 45_670_000, 800, 22)


def test_cost_micros_to_the_cent_across_customers_and_stream_batches(tmp_path, google):
    """Customer 123-456-7890 (USD): the fixture's six days, 4,770.89 USD (2,500.00 + 3.00 + 1,234.56 + 0.01 +
    987.65 + 45.67). Customer 555-000-1111 (EUR): 0.50 + 1,999.99 = 2,000.49 EUR. The stream answers two results
    per batch, so one response holds several batches; metrics that are zero are not in the JSON at all."""
    google.batch_size = 2
    google.currencies["5550001111"] = "EUR"
    add_report_fixture(google, today() - timedelta(days=10))
    google.add("5550001111", "111", today() - timedelta(days=5), "Search - DE", 500_000, 40, 0)
    google.add("5550001111", "111", today() - timedelta(days=4), "Search - DE", 1_999_990_000, 900, 30, 0.5)
    sync(tmp_path, google, google.start(), customer_ids=["123-456-7890", "555-000-1111"])
    assert staged(tmp_path, "google_ads/spend",
                  "select currency, round(sum(spend), 2), sum(impressions), sum(clicks), sum(conversions), count(*) "
                  "from staged group by 1 order by 1") == [("EUR", 2000.49, 940.0, 30.0, 0.5, 2),
                                                           ("USD", 4770.89, 5768.0, 244.0, 7.5, 6)]
    # The day with no conversions key and no clicks key is 0, not missing.
    assert api_rows(tmp_path, "select cost_micros, clicks, conversions from raw_google_ads.campaign_daily "
                              "where account_id = '5550001111' order by date") == [(500_000, 0, 0.0),
                                                                                   (1_999_990_000, 30, 0.5)]
    # No channel of its own: staging.spend gives it from the channel map, as to every source's spend.
    assert staged(tmp_path, "google_ads/spend", "select distinct platform, channel, source_system from staged") == [
        ("google_ads", None, "google_ads")]


def test_same_spend_through_the_api_and_the_ui_export_to_the_cent(tmp_path, google):
    """The API serves the days of the UI export fixture (cost in micros); the export says "2,500.00" and skips its
    `Total:` rows. Both give 4,770.89 USD, and the same spend for every campaign and day."""
    first = date(2024, 1, 1)
    add_report_fixture(google, first)
    sync(tmp_path, google, google.start(), start_date=first)
    api = staged(tmp_path, "google_ads/spend", "select spend_date, campaign_id, round(spend, 2), currency "
                                               "from staged order by all")
    export = sorted((r["date"], r["campaign_id"], round(r["spend"], 2), r["currency"])
                    for batch in ad_report_rows(FIXTURES / "google_ads_campaign_report.csv")
                    for r in batch.to_pylist())
    assert api == export
    assert round(sum(row[2] for row in api), 2) == round(sum(row[2] for row in export), 2) == 4770.89


def test_restated_day_replaces_the_old_one_and_is_never_counted_twice(tmp_path, google):
    """First sync: day -3 (Brand 100.00 + Generic 20.00) and day -40 (Brand 50.00): 170.00.
    The platform then restates day -3 (Brand refunded to 90.00; Generic no longer reported that day) and changes
    day -40 too. The second sync re-reads the 28-day lookback only: day -3 becomes Brand 90.00 alone, day -40
    keeps 50.00: 140.00, and every (campaign, day) once."""
    base_url = google.start()
    recent, old = today() - timedelta(days=3), today() - timedelta(days=40)
    google.add(CUSTOMER, BRAND, recent, "Brand - Search", 100_000_000, 100, 10)
    google.add(CUSTOMER, GENERIC, recent, "Generic - Search", 20_000_000, 50, 5)
    google.add(CUSTOMER, BRAND, old, "Brand - Search", 50_000_000, 80, 8)
    sync(tmp_path, google, base_url)
    total = "select round(sum(spend), 2), count(*) from staged"
    assert staged(tmp_path, "google_ads/spend", total) == [(170.0, 3)]

    google.add(CUSTOMER, BRAND, recent, "Brand - Search", 90_000_000, 100, 10)
    google.remove(CUSTOMER, GENERIC, recent)
    google.add(CUSTOMER, BRAND, old, "Brand - Search", 999_000_000, 80, 8)
    before = len(google.queries())
    sync(tmp_path, google, base_url)
    assert staged(tmp_path, "google_ads/spend", total) == [(140.0, 2)]
    # The second sync asked from the last synced day minus the lookback (28 days), up to today.
    asked = [query for _, query in google.queries()[before:]]
    assert len(asked) == 1 and f"BETWEEN '{today() - timedelta(days=28)}' AND '{today()}'" in asked[0]


def test_a_customer_added_later_gets_its_own_first_sync(tmp_path, google):
    """Customer 555-000-1111 joins GOOGLE_ADS_CUSTOMER_IDS after a first sync: its days from the start date are
    read (50 days back), while the first customer only re-reads its lookback."""
    base_url = google.start()
    start = today() - timedelta(days=59)
    google.currencies["5550001111"] = "EUR"
    google.add(CUSTOMER, BRAND, today() - timedelta(days=50), "Brand - Search", 10_000_000, 1, 1)
    google.add("5550001111", "111", today() - timedelta(days=50), "Search - DE", 7_000_000, 1, 1)
    sync(tmp_path, google, base_url, start_date=start)
    before = len(google.queries())
    sync(tmp_path, google, base_url, start_date=start, customer_ids=["123-456-7890", "555-000-1111"])
    asked = google.queries()[before:]
    assert [c for c, _ in asked] == [CUSTOMER, "5550001111", "5550001111"]  # 28 days; then 60 days in two windows
    assert f"BETWEEN '{start}'" in asked[1][1]
    assert api_rows(tmp_path, "select account_id, cost_micros from raw_google_ads.campaign_daily order by 1") == [
        (CUSTOMER, 10_000_000), ("5550001111", 7_000_000)]


def test_refresh_token_is_exchanged_at_sync_time_and_no_secret_is_kept(tmp_path, google, caplog):
    """Building the source asks nothing; the sync asks the token endpoint once (refresh-token grant) and sends
    the access token, the developer token and the manager id (digits) with every report request. No secret
    reaches a log line, an error or a file."""
    google.manager_id = "9998887777"
    add_report_fixture(google, today() - timedelta(days=5))
    base_url = google.start()
    google_ads_source(developer_token="developer-token", client_id=google.client_id, client_secret="client-secret",
                      refresh_token="refresh-token", customer_ids=[CUSTOMER], base_url=base_url)
    assert google.requests == []
    with caplog.at_level(logging.DEBUG):
        sync(tmp_path, google, base_url, login_customer_id="999-888-7777")
    assert google.token_requests() == [{"client_id": google.client_id, "client_secret": "client-secret",
                                        "refresh_token": "refresh-token", "grant_type": "refresh_token"}]
    assert api_rows(tmp_path, "select count(*) from raw_google_ads.campaign_daily") == [(6,)]
    assert not any(secret in caplog.text for secret in SECRETS)
    assert not any(secret.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() for secret in SECRETS)


def test_manager_account_without_login_customer_id_names_the_variable(tmp_path, google):
    google.manager_id = "9998887777"
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, google.start())
    message = source_error(failure)
    assert message.startswith("Google Ads refused access to customer 1234567890 (HTTP 403): set "
                              "GOOGLE_ADS_LOGIN_CUSTOMER_ID")
    assert "\n" not in message


def test_revoked_refresh_token_is_one_line_naming_the_variable(tmp_path, google):
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, google.start(), refresh_token="revoked")
    message = source_error(failure)
    assert message.startswith("Google refused the refresh token (HTTP 400): set GOOGLE_ADS_REFRESH_TOKEN")
    assert "\n" not in message and not any(secret in message for secret in (*SECRETS, "revoked"))


def test_unapproved_developer_token_and_rejected_access_token_name_their_variables(tmp_path, google):
    base_url = google.start()
    google.developer_token_approved = False
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, base_url)
    assert source_error(failure).startswith("Google Ads refused the token (HTTP 403): set GOOGLE_ADS_DEVELOPER_TOKEN")
    google.developer_token_approved = True
    google.fail(401, times=10, path_contains="searchStream")
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, base_url)
    assert source_error(failure).startswith("Google Ads refused the token (HTTP 401): set GOOGLE_ADS_REFRESH_TOKEN")


def test_resource_exhausted_waits_the_retry_delay_then_loads_everything(tmp_path, google):
    """Two 429 RESOURCE_EXHAUSTED asking for 1s (in the body: Google sends no Retry-After), then a 503: the sync
    waits at least a second before each retry after a 429 and loads all six rows."""
    add_report_fixture(google, today() - timedelta(days=5))
    google.fail(429, times=2, path_contains="searchStream")
    google.fail(503, times=1, path_contains="searchStream")
    sync(tmp_path, google, google.start(), start_date=today() - timedelta(days=20))
    assert api_rows(tmp_path, "select count(*) from raw_google_ads.campaign_daily") == [(6,)]
    stream = [at for (_, path, _, _), at in zip(google.requests, google.arrivals, strict=True)
              if path.endswith("searchStream")]
    assert len(stream) == 4 and stream[1] - stream[0] >= 1 and stream[2] - stream[1] >= 1


def add_hundred_days(fake: FakeGoogleAds) -> date:
    """One campaign's last 100 days, day n costing 1,000,000 + n micros: 100,004,950 micros in all
    (100 × 1,000,000 + 0 + 1 + … + 99). Four windows of up to 30 days: four searchStream requests."""
    first = today() - timedelta(days=99)
    for n in range(100):
        fake.add(CUSTOMER, BRAND, first + timedelta(days=n), "Brand - Search", 1_000_000 + n, 100, 10)
    return first


def assert_every_day_once(tmp_path) -> None:
    assert api_rows(tmp_path, "select count(*), count(distinct (campaign_id, date)), sum(cost_micros) "
                              "from raw_google_ads.campaign_daily") == [(100, 100, 100_004_950)]


def test_the_default_pace_keeps_to_the_rate_limit_and_is_never_refused(tmp_path, google):
    """The server's token bucket refills at 1 request a second (tests/fake_apis/google_ads.py); the source at its
    default pace sends its four requests at least a second apart, and none is refused."""
    google.rate_limit = RATE_LIMIT
    first = add_hundred_days(google)
    sync(tmp_path, google, google.start(), start_date=first, requests_per_second=REQUESTS_PER_SECOND)
    assert_every_day_once(tmp_path)
    stream = [at for (_, path, _, _), at in zip(google.requests, google.arrivals, strict=True)
              if path.endswith("searchStream")]
    assert google.throttled == 0 and len(stream) == 4
    assert min(later - earlier for earlier, later in zip(stream, stream[1:], strict=False)) >= 1 / RATE_LIMIT


def test_a_sync_faster_than_the_rate_limit_waits_what_google_asks_and_loads_every_row_once(tmp_path, google):
    """Unpaced, the source runs into the bucket: each 429 RESOURCE_EXHAUSTED asks (in its body) for a second,
    which the source waits before asking again; every day still loads exactly once."""
    google.rate_limit = RATE_LIMIT
    first = add_hundred_days(google)
    sync(tmp_path, google, google.start(), start_date=first)
    assert google.throttled > 0
    assert_every_day_once(tmp_path)
    assert len(google.queries()) == 4 + google.throttled


def test_quota_never_regained_is_one_line_after_bounded_retries(tmp_path, google):
    google.fail(429, times=100, path_contains="searchStream")
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, google.start(), max_attempts=2, max_retry_delay=1)
    assert source_error(failure).startswith("Google Ads API quota exhausted (HTTP 429 RESOURCE_EXHAUSTED)")
    assert len(google.queries()) == 2


def test_a_token_endpoint_that_keeps_failing_is_not_called_a_refused_refresh_token(tmp_path, google):
    google.fail(503, times=50, path_contains="/token")
    with pytest.raises(Exception) as failure:
        sync(tmp_path, google, google.start(), max_attempts=3)
    assert source_error(failure).endswith("/token answered HTTP 503 after retries; nothing was loaded, run the sync "
                                          "again")
    assert len(google.token_requests()) == 3 and google.queries() == []


def test_an_unreachable_token_url_names_its_variable_at_once(tmp_path, google):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/token"
    source = google_ads_source(developer_token="developer-token", client_id=google.client_id,
                               client_secret="client-secret", refresh_token="refresh-token",
                               customer_ids=[CUSTOMER], base_url=f"{google.start()}/{VERSION}", token_url=closed)
    with pytest.raises(Exception) as failure:
        sync_api_source(tmp_path, source, "raw_google_ads")
    assert source_error(failure) == (f"the Google OAuth token URL {closed} cannot be reached (ConnectionError): check "
                                     "GOOGLE_OAUTH_TOKEN_URL")


CREDENTIALS = {"GOOGLE_ADS_DEVELOPER_TOKEN": "developer-token", "GOOGLE_ADS_CLIENT_ID": FakeGoogleAds.client_id,
               "GOOGLE_ADS_CLIENT_SECRET": "client-secret", "GOOGLE_ADS_REFRESH_TOKEN": "refresh-token",
               "GOOGLE_ADS_CUSTOMER_IDS": "123-456-7890"}


def test_variables_configure_the_source_or_leave_it_out():
    assert "google_ads" not in Settings.from_env({}).sources
    settings = Settings.from_env({**CREDENTIALS, "GOOGLE_ADS_CUSTOMER_IDS": "123-456-7890, 5550001111",
                                  "GOOGLE_ADS_LOGIN_CUSTOMER_ID": "999-888-7777", "ADS_START_DATE": "2024-01-01",
                                  "ADS_LOOKBACK_DAYS": "7"})
    config = settings.source("google_ads")
    assert "google_ads" in settings.sources
    assert (config.customer_ids, config.login_customer_id) == (("1234567890", "5550001111"), "9998887777")
    assert (config.start_date, config.lookback_days) == (date(2024, 1, 1), 7)
    assert "refresh-token" not in repr(config) and "developer-token" not in repr(config)
    with pytest.raises(ConfigError, match="GOOGLE_ADS_DEVELOPER_TOKEN and .* are set, but not all that is needed: "
                                          "set .*GOOGLE_ADS_REFRESH_TOKEN"):
        Settings.from_env({**CREDENTIALS, "GOOGLE_ADS_REFRESH_TOKEN": " "})
    for variable, value, reason in [
            ("GOOGLE_ADS_CUSTOMER_IDS", "acme", "is not a comma-separated list of numeric account ids"),
            ("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "mcc", "is not a customer id"),
            ("ADS_START_DATE", "01/02/2024", "is not a date (YYYY-MM-DD)"),
            ("ADS_LOOKBACK_DAYS", "-1", "must be at least 0")]:
        with pytest.raises(ConfigError) as error:
            Settings.from_env({**CREDENTIALS, variable: value})
        assert str(error.value).startswith(f"{variable}={value!r} {reason}")


def test_loading_the_code_location_asks_google_nothing(tmp_path, google):
    """The refresh token is exchanged by the sync's first request, not while Dagster loads the code."""
    project = Project(tmp_path, **CREDENTIALS, GOOGLE_ADS_BASE_URL=f"{google.start()}/{VERSION}",
                      GOOGLE_OAUTH_TOKEN_URL=f"{google.start()}/token")
    defs = build_definitions(project.settings)
    assert defs.resolve_schedule_def("google_ads_daily").cron_schedule == "0 4 * * *"
    assert google.requests == []


def test_a_run_brings_google_ads_spend_to_staging_spend_and_marts_cac(tmp_path, google):
    """The platform configured by its variables alone: `Project.run` syncs it through its declaration, staging
    maps it onto staging.spend, and marts.cac counts it. One customer won on day -3 (exports); that day Brand
    spent 100.00 and Generic 20.50 USD (the reporting currency): paid spend 120.50, CAC 120.50 / 1."""
    day = today() - timedelta(days=3)
    google.add(CUSTOMER, BRAND, day, "Brand - Search", 100_000_000, 1000, 50)
    google.add(CUSTOMER, GENERIC, day, "Generic - Search", 20_500_000, 300, 9)
    base_url = google.start()
    project = Project(tmp_path, **CREDENTIALS, GOOGLE_ADS_BASE_URL=f"{base_url}/{VERSION}",
                      GOOGLE_OAUTH_TOKEN_URL=f"{base_url}/token", ADS_START_DATE=str(day - timedelta(days=5)),
                      ADS_LOOKBACK_DAYS="4", REPORTING_CURRENCY="USD")
    project.write("companies.csv", "company_id,name\nc1,Acme")
    project.write("deals.csv", "deal_id,company_id,created_at,status,closed_at,amount,currency\n"
                               f"d1,c1,{day - timedelta(days=20)}T09:00:00Z,won,{day},5000,USD")
    assert failed_checks(project.run()) == {}
    assert project.query("SELECT source_system, campaign_id, spend, currency, channel FROM staging.spend "
                         "ORDER BY campaign_id") == [("google_ads", BRAND, 100.0, "USD", "paid_search"),
                                                     ("google_ads", GENERIC, 20.5, "USD", "paid_search")]
    assert project.one("SELECT paid_spend, new_customers, paid_cac FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = date_trunc('month', ?::DATE)", [day]) == (120.5, 1, 120.5)

    # Google restates the day (Generic refunded to 10.00). The next run starts from the cursor kept in DuckDB (a
    # run drops dlt's local state first): it asks the lookback only (4 days), and the day is 110.00, each campaign
    # once.
    google.add(CUSTOMER, GENERIC, day, "Generic - Search", 10_000_000, 300, 9)
    before = len(google.queries())
    assert failed_checks(project.run()) == {}
    asked = [query for _, query in google.queries()[before:]]
    assert len(asked) == 1 and f"BETWEEN '{today() - timedelta(days=4)}' AND '{today()}'" in asked[0]
    assert project.one("SELECT sum(spend), count(*) FROM staging.spend") == (110.0, 2)
    assert project.one("SELECT paid_cac FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = date_trunc('month', ?::DATE)", [day]) == (110.0,)

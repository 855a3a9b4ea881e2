"""LinkedIn against a local server that speaks its documented Marketing API (tests/fake_apis/linkedin_ads.py):
adAnalytics with the CAMPAIGN pivot and DAILY granularity in Rest.li 2.0 syntax, date-range objects and string
costs, its size cap, campaign names and the account currency from their endpoints, the LinkedIn-Version header,
429, 5xx, 401 and 426; its variables; a whole run."""

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.config import ConfigError, Settings
from pipelines.definitions import build_definitions
from pipelines.sources.ad_platforms import today
from pipelines.sources.linkedin_ads import linkedin_ads_source
from pipelines.sources.linkedin_ads.settings import REQUESTS_PER_SECOND
from tests.ad_report_rows import ad_report_rows
from tests.conftest import Project, api_rows, failed_checks, source_error, staged, sync_api_source
from tests.fake_apis.linkedin_ads import RATE_LIMIT, FakeLinkedInAds

FIXTURES = Path(__file__).parent / "fixtures" / "ad_reports"
TOKEN = "AQV-linkedin-member-secret"
ACCOUNT = "507404993"
ABM = "145282384"


@pytest.fixture
def linkedin():
    fake = FakeLinkedInAds(token=TOKEN, accounts={ACCOUNT: {"currency": "EUR", "name": "Acme"}},
                           campaigns={ABM: (ACCOUNT, "ABM - Decision makers"), "145282385": (ACCOUNT, "Retargeting"),
                                      "145282386": (ACCOUNT, "Awareness")})
    yield fake
    fake.stop()


def sync(tmp_path, base_url: str, **options):
    options.setdefault("ad_account_ids", [ACCOUNT])
    options.setdefault("start_date", today() - timedelta(days=20))
    options.setdefault("backoff_factor", 0.01)
    options.setdefault("requests_per_second", None)  # unpaced, but where a test is about the pace
    source = linkedin_ads_source(access_token=options.pop("access_token", TOKEN), base_url=f"{base_url}/rest",
                                 **options)
    return sync_api_source(tmp_path, source, "raw_linkedin_ads")


def add_samples(fake: FakeLinkedInAds, first: date) -> None:
    """The two days of ../shared/api-formats/linkedin_adanalytics_campaign_daily.json, from `first` on."""
    fake.add(ACCOUNT, ABM, first, "19.91833", 165, 11, conversions=0, cost_usd="21.50")
    fake.add(ACCOUNT, ABM, first + timedelta(days=1), "27.50", 220, 17, conversions=1, cost_usd="29.70")


def test_string_costs_and_date_ranges_with_names_and_currency(tmp_path, linkedin):
    """19.91833 + 27.50 = 47.41833 EUR (47.42 to the cent), 385 impressions, 28 clicks, 1 conversion; the
    campaign's name comes from the campaigns endpoint (paged two at a time: its second page is needed) and the
    currency from the account."""
    add_samples(linkedin, today() - timedelta(days=5))
    linkedin.add(ACCOUNT, "145282386", today() - timedelta(days=5), "3.00", 10, 1, leads=2)
    sync(tmp_path, linkedin.start())
    assert staged(tmp_path, "linkedin_ads/spend",
                  "select campaign_name, currency, round(sum(spend), 5), sum(impressions), sum(clicks), "
                  "sum(conversions), sum(leads) from staged group by all order by 1") == [
        ("ABM - Decision makers", "EUR", 47.41833, 385.0, 28.0, 1.0, 0.0),
        ("Awareness", "EUR", 3.0, 10.0, 1.0, 0.0, 2.0)]
    assert api_rows(tmp_path, "select round(sum(cost_in_usd), 2) from raw_linkedin_ads.campaign_daily") == [(54.2,)]


def test_same_spend_through_the_api_and_the_ui_export_to_the_cent(tmp_path, linkedin):
    """The API serves the two days of the Campaign Manager export fixture. The API's 19.91833 is 19.92 in the
    export, which rounds each row to the cent: both totals are 47.42 EUR to the cent."""
    add_samples(linkedin, date(2026, 3, 1))
    sync(tmp_path, linkedin.start(), start_date=date(2026, 3, 1))
    api = staged(tmp_path, "linkedin_ads/spend", "select spend_date, campaign_id, currency, spend from staged")
    export = sorted((r["date"], r["campaign_id"], r["currency"], r["spend"])
                    for batch in ad_report_rows(FIXTURES / "linkedin_campaign_performance.csv")
                    for r in batch.to_pylist())
    assert [row[:3] for row in api] == [row[:3] for row in export]
    assert round(sum(row[3] for row in api), 2) == round(sum(row[3] for row in export), 2) == 47.42


def test_a_window_at_the_size_cap_is_split_and_nothing_is_lost(tmp_path, linkedin):
    """With a cap of 3 elements, a 20-day window holding 5 campaign days is cut off by LinkedIn: the sync asks its
    halves again until each answer is under the cap, and loads all 5 rows."""
    first = today() - timedelta(days=9)
    for offset in range(5):
        linkedin.add(ACCOUNT, ABM, first + timedelta(days=offset), "1.00", 1, 1)
    sync(tmp_path, linkedin.start(), element_cap=3, start_date=first)
    assert api_rows(tmp_path, "select count(*), sum(cost_in_local_currency) from raw_linkedin_ads.campaign_daily") \
        == [(5, 5.0)]
    windows = linkedin.analytics_windows()
    assert windows[0] == (first, today()) and len(windows) > 1


def test_restated_day_replaces_the_old_one(tmp_path, linkedin):
    """Day -1: ABM 27.50 and Awareness 4.00, day -15: ABM 8.00 (39.50). LinkedIn then restates day -1 (ABM 25.10,
    Awareness no longer reported). The second sync re-reads the lookback (3 days here, from the first sync's last
    day): day -1 is ABM 25.10 alone, day -15 stays: 33.10, each (campaign, day) once."""
    base_url = linkedin.start()
    day, old = today() - timedelta(days=1), today() - timedelta(days=15)
    linkedin.add(ACCOUNT, ABM, day, "27.50", 220, 17)
    linkedin.add(ACCOUNT, "145282386", day, "4.00", 20, 1)
    linkedin.add(ACCOUNT, ABM, old, "8.00", 50, 2)
    sync(tmp_path, base_url, lookback_days=3)
    linkedin.add(ACCOUNT, ABM, day, "25.10", 220, 16)
    del linkedin.rows[("145282386", day)]
    sync(tmp_path, base_url, lookback_days=3)
    assert staged(tmp_path, "linkedin_ads/spend", "select spend_date, campaign_id, spend, clicks from staged "
                                                  "order by 1") == [(old, ABM, 8.0, 2.0), (day, ABM, 25.1, 16.0)]
    assert linkedin.analytics_windows()[-1] == (today() - timedelta(days=3), today())


def test_throttling_waits_what_linkedin_says_and_server_errors_are_retried(tmp_path, linkedin):
    """Two 429 asking to wait a second (Retry-After), a 500 on the campaigns: each retry after a 429 waits at
    least that second, and both rows load once."""
    add_samples(linkedin, today() - timedelta(days=5))
    linkedin.fail(429, times=2, path_contains="adAnalytics", retry_after="1")
    linkedin.fail(500, times=1, path_contains="adCampaigns")
    sync(tmp_path, linkedin.start())
    assert api_rows(tmp_path, "select count(*), count(distinct (campaign_id, date)) "
                              "from raw_linkedin_ads.campaign_daily") == [(2, 2)]
    analytics = [at for (_, path, _, _), at in zip(linkedin.requests, linkedin.arrivals, strict=True)
                 if path.endswith("adAnalytics")]
    assert len(analytics) == 3 and analytics[1] - analytics[0] >= 1 and analytics[2] - analytics[1] >= 1


def add_days(fake: FakeLinkedInAds, days: int) -> date:
    """The ABM campaign's last `days` days, day n costing 10 + n/100 EUR: for 40 days 400 + 7.80 = 407.80
    (0.00 + 0.01 + … + 0.39)."""
    first = today() - timedelta(days=days - 1)
    for n in range(days):
        fake.add(ACCOUNT, ABM, first + timedelta(days=n), f"{10 + n / 100:.2f}", 100, 5)
    return first


def assert_every_day_once(tmp_path, days: int, cost: float) -> None:
    assert api_rows(tmp_path, "select count(*), count(distinct (campaign_id, date)), "
                              "round(sum(cost_in_local_currency), 2) from raw_linkedin_ads.campaign_daily") == [
        (days, days, cost)]


def test_the_default_pace_keeps_to_the_rate_limit_and_is_never_refused(tmp_path, linkedin):
    """The server refuses a second request in a calendar second (tests/fake_apis/linkedin_ads.py); the source at
    its default pace sends its four requests (the account, its campaigns, two adAnalytics windows) at least a
    second apart, and none is refused."""
    linkedin.rate_limit, linkedin.campaign_page_size = RATE_LIMIT, 100
    first = add_days(linkedin, 40)
    sync(tmp_path, linkedin.start(), start_date=first, requests_per_second=REQUESTS_PER_SECOND)
    assert_every_day_once(tmp_path, 40, 407.8)
    assert linkedin.throttled == 0 and len(linkedin.arrivals) == 4
    assert min(b - a for a, b in zip(linkedin.arrivals, linkedin.arrivals[1:], strict=False)) >= 1 / RATE_LIMIT


def test_a_sync_faster_than_the_rate_limit_backs_off_and_loads_every_row_once(tmp_path, linkedin):
    """Unpaced against a server that takes three requests a calendar second, the source meets 429s without a
    Retry-After, backs off exponentially and asks again: every day still loads exactly once."""
    linkedin.rate_limit = 3
    first = add_days(linkedin, 100)
    sync(tmp_path, linkedin.start(), start_date=first, backoff_factor=0.5)
    assert linkedin.throttled > 0
    assert_every_day_once(tmp_path, 100, 1049.5)
    assert len(set(linkedin.analytics_windows())) == 4


def test_rejected_token_is_one_line_naming_the_variable_and_never_leaks(tmp_path, linkedin, caplog):
    with caplog.at_level(logging.DEBUG), pytest.raises(Exception) as failure:
        sync(tmp_path, linkedin.start(), access_token="AQV-expired-secret")
    message = source_error(failure)
    assert message.startswith("LinkedIn refused the token (HTTP 401): set LINKEDIN_ACCESS_TOKEN")
    assert "\n" not in message and "AQV-expired-secret" not in str(failure.value) + caplog.text


def test_token_never_reaches_a_log_or_a_file(tmp_path, linkedin, caplog):
    add_samples(linkedin, today() - timedelta(days=5))
    with caplog.at_level(logging.DEBUG):
        sync(tmp_path, linkedin.start())
    assert TOKEN not in caplog.text
    assert not any(TOKEN.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_retired_api_version_names_its_variable(tmp_path, linkedin):
    with pytest.raises(Exception) as failure:
        sync(tmp_path, linkedin.start(), api_version="202401")
    assert source_error(failure).startswith("LinkedIn no longer serves this API version (HTTP 426): set "
                                            "LINKEDIN_API_VERSION")


CREDENTIALS = {"LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_AD_ACCOUNT_IDS": ACCOUNT}


def test_variables_configure_the_source_or_leave_it_out():
    assert "linkedin_ads" not in Settings.from_env({}).sources
    settings = Settings.from_env({**CREDENTIALS, "LINKEDIN_AD_ACCOUNT_IDS": "507404993, urn:li:sponsoredAccount:42",
                                  "LINKEDIN_API_VERSION": "202601"})
    config = settings.source("linkedin_ads")
    assert "linkedin_ads" in settings.sources
    assert (config.ad_account_ids, config.api_version) == (("507404993", "42"), "202601")
    assert TOKEN not in repr(config)
    with pytest.raises(ConfigError, match="LINKEDIN_AD_ACCOUNT_IDS is set, but not all that is needed: set "
                                          "LINKEDIN_ACCESS_TOKEN and LINKEDIN_AD_ACCOUNT_IDS"):
        Settings.from_env({"LINKEDIN_AD_ACCOUNT_IDS": "1"})
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**CREDENTIALS, "LINKEDIN_API_VERSION": "2026-07"})
    assert str(error.value).startswith("LINKEDIN_API_VERSION='2026-07' is not a LinkedIn API version (YYYYMM")


def test_loading_the_code_location_asks_linkedin_nothing(tmp_path, linkedin):
    project = Project(tmp_path, **CREDENTIALS, LINKEDIN_BASE_URL=f"{linkedin.start()}/rest")
    defs = build_definitions(project.settings)
    assert defs.resolve_schedule_def("linkedin_ads_daily").cron_schedule == "0 4 * * *"
    assert linkedin.requests == []


def test_a_run_brings_linkedin_spend_to_staging_spend_and_marts_cac(tmp_path, linkedin):
    """The platform configured by its variables alone: `Project.run` syncs it through its declaration, staging
    maps it onto staging.spend, and marts.cac counts it. One customer won on day -3 (exports); that day ABM spent
    19.91833 and Awareness 0.08167 EUR (the reporting currency): paid spend 20.00, paid CAC 20.00 / 1."""
    day = today() - timedelta(days=3)
    linkedin.add(ACCOUNT, ABM, day, "19.91833", 165, 11, leads=2)
    linkedin.add(ACCOUNT, "145282386", day, "0.08167", 10, 0)
    project = Project(tmp_path, **CREDENTIALS, LINKEDIN_BASE_URL=f"{linkedin.start()}/rest",
                      ADS_START_DATE=str(day - timedelta(days=5)), REPORTING_CURRENCY="EUR")
    project.write("companies.csv", "company_id,name\nc1,Acme")
    project.write("deals.csv", "deal_id,company_id,created_at,status,closed_at,amount,currency\n"
                               f"d1,c1,{day - timedelta(days=20)}T09:00:00Z,won,{day},5000,EUR")
    assert failed_checks(project.run()) == {}
    assert project.query("SELECT source_system, campaign_name, spend, leads, currency, channel FROM staging.spend "
                         "ORDER BY campaign_id") == [
        ("linkedin_ads", "ABM - Decision makers", 19.91833, 2.0, "EUR", "paid_social"),
        ("linkedin_ads", "Awareness", 0.08167, 0.0, "EUR", "paid_social")]
    assert project.one("SELECT round(paid_spend, 9), new_customers, round(paid_cac, 9) FROM marts.cac "
                       "WHERE period_grain = 'month' AND period_start = date_trunc('month', ?::DATE)", [day]) == (
        20.0, 1, 20.0)

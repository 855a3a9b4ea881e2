"""Meta against a local server that speaks its documented Marketing API (tests/fake_apis/meta_ads.py): campaign
insights one day per row with metrics as strings, cursor paging, rate limits as HTTP 400 with error codes and
usage headers, server errors, an invalid token as error 190, restated days; its variables; a whole run."""

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.config import ConfigError, Settings
from pipelines.definitions import build_definitions
from pipelines.sources.ad_platforms import today
from pipelines.sources.meta_ads import meta_ads_source
from tests.ad_report_rows import ad_report_rows
from tests.conftest import Project, api_rows, failed_checks, source_error, staged, sync_api_source
from tests.fake_apis.meta_ads import VERSION, FakeMetaAds

FIXTURES = Path(__file__).parent / "fixtures" / "ad_reports"
TOKEN = "EAAB-meta-system-user-secret"
ACCOUNT = "123456789"
PROSPECTING, RETARGETING = "120200000000000001", "120200000000000002"


@pytest.fixture
def meta():
    fake = FakeMetaAds(token=TOKEN, currencies={ACCOUNT: "USD"})
    yield fake
    fake.stop()


def sync(tmp_path, base_url: str, **options):
    options.setdefault("ad_account_ids", [f"act_{ACCOUNT}"])
    options.setdefault("start_date", today() - timedelta(days=20))
    source = meta_ads_source(access_token=options.pop("access_token", TOKEN), base_url=f"{base_url}/{VERSION}",
                             backoff_factor=0.01, rate_limit_wait=1, usage_pause=1, **options)
    return sync_api_source(tmp_path, source, "raw_meta_ads")


def add_samples(fake: FakeMetaAds, first: date) -> None:
    """The rows of the documented insights pages (../shared/api-formats/meta_insights_campaign_daily_*.json),
    from `first` on; 3 leads on the first day."""
    fake.add(ACCOUNT, PROSPECTING, first, "Prospecting - US", "12.34", 4000, 80, leads=3, link_clicks=61)
    fake.add(ACCOUNT, PROSPECTING, first + timedelta(days=1), "Prospecting - US", "5339.5", 361324, 2711,
             link_clicks=2002)
    fake.add(ACCOUNT, RETARGETING, first + timedelta(days=1), "Retargeting - EU", "0", 0, 0, link_clicks=0)


def test_string_metrics_over_cursor_pages_to_the_cent(tmp_path, meta):
    """Three rows, two per page: 12.34 + 5339.5 + 0 = 5,351.84 USD, 365,324 impressions, 2,791 clicks, 3 leads.
    The second page has cursors but no `paging.next`: paging stops there, with no third request. The token goes
    in the Authorization header, never in a URL."""
    meta.page_size = 2
    add_samples(meta, today() - timedelta(days=5))
    sync(tmp_path, meta.start())
    assert staged(tmp_path, "meta_ads/spend",
                  "select currency, round(sum(spend), 2), sum(impressions), sum(clicks), sum(leads), count(*) "
                  "from staged group by 1") == [("USD", 5351.84, 365324.0, 2791.0, 3.0, 3)]
    assert [params.get("after") for params in meta.insights_requests()] == [None, "Mg=="]
    assert all("access_token" not in params for params in meta.insights_requests())
    assert staged(tmp_path, "meta_ads/spend", "select distinct ad_account_id, channel from staged") == [
        (ACCOUNT, None)]  # no channel of its own: staging.spend gives it from the channel map


def test_same_spend_through_the_api_and_the_ui_export_to_the_cent(tmp_path, meta):
    """The API serves the days of the Ads Manager export fixture: "5339.5" there is "5,339.50" in the export. Both
    give 5,351.84 USD, and the same spend for every campaign and day."""
    first = date(2024, 9, 1)
    add_samples(meta, first)
    sync(tmp_path, meta.start(), start_date=first)
    api = staged(tmp_path, "meta_ads/spend", "select spend_date, campaign_id, round(spend, 2), currency "
                                             "from staged order by all")
    export = sorted((r["date"], r["campaign_id"], round(r["spend"], 2), r["currency"])
                    for batch in ad_report_rows(FIXTURES / "meta_ads_manager_export.csv") for r in batch.to_pylist())
    assert api == export
    assert round(sum(row[2] for row in api), 2) == 5351.84


@pytest.mark.parametrize("code", [4, 17, 613, 80004])
def test_rate_limit_errors_slow_the_sync_down_instead_of_failing_it(tmp_path, meta, code):
    """Two answers with rate-limit error `code` (HTTP 400, usage at 100%): each retry waits at least the
    rate-limit wait (1s here), and the sync loads all three rows."""
    add_samples(meta, today() - timedelta(days=5))
    meta.throttle(code, times=2)
    sync(tmp_path, meta.start())
    assert api_rows(tmp_path, "select count(*) from raw_meta_ads.campaign_daily") == [(3,)]
    first, second, third = meta.arrivals[:3]
    assert second - first >= 1 and third - second >= 1


def test_usage_near_the_limit_pauses_the_next_request(tmp_path, meta):
    """Every answer reports 100% of a limit used: each following request waits the usage pause (1s here)."""
    meta.page_size = 1
    meta.usage_percent = 100.0
    add_samples(meta, today() - timedelta(days=5))
    sync(tmp_path, meta.start())
    assert api_rows(tmp_path, "select count(*) from raw_meta_ads.campaign_daily") == [(3,)]
    gaps = [later - earlier for earlier, later in zip(meta.arrivals, meta.arrivals[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 1


def add_days(fake: FakeMetaAds, days: int) -> date:
    """The prospecting campaign's last `days` days, day n spending "10.<n>" (n < 100): for 60 days 600 + 17.70
    (0.00 + 0.01 + … + 0.59)."""
    first = today() - timedelta(days=days - 1)
    for n in range(days):
        fake.add(ACCOUNT, PROSPECTING, first + timedelta(days=n), "Prospecting - US", f"10.{n:02d}", 100, 5)
    return first


def test_the_usage_headers_hold_the_sync_to_the_ad_accounts_score(tmp_path, meta):
    """The server keeps the account's score as Meta does (tests/fake_apis/meta_ads.py), here 20 points at most,
    decaying at 20 a second; one row per page makes 60 requests. Past 75% the source waits until the usage it
    is told is back at 75%: no request is refused, every day loads once, and the 60 requests take at least
    (60 - 20) / 20 = 2 seconds, and not much more than the (60 - 15) / 20 = 2.25 seconds that 15 at once then
    20 a second would take."""
    meta.rate_limit, meta.max_score, meta.page_size = 20, 20, 1
    first = add_days(meta, 60)
    sync(tmp_path, meta.start(), start_date=first)
    assert meta.throttled == 0 and len(meta.arrivals) == 60
    assert 2 <= meta.arrivals[-1] - meta.arrivals[0] < 5
    assert api_rows(tmp_path, "select count(*), count(distinct (campaign_id, date)), round(sum(spend), 2) "
                              "from raw_meta_ads.campaign_daily") == [(60, 60, 617.7)]


def test_an_account_blocked_by_another_app_waits_what_meta_says_then_loads_every_row_once(tmp_path, meta):
    """Another app used up the account's score: the first call is refused (HTTP 400, error 17, usage at 100%,
    a minute until access is regained), the source waits that (here at most 2 s, its longest wait) and loads
    every day once."""
    meta.rate_limit, meta.max_score = 20, 20
    first = add_days(meta, 60)
    meta.exhaust(ACCOUNT, 1.5)
    sync(tmp_path, meta.start(), start_date=first, max_retry_delay=2)
    assert meta.throttled == 1 and meta.arrivals[1] - meta.arrivals[0] >= 2
    assert api_rows(tmp_path, "select count(*), count(distinct (campaign_id, date)), round(sum(spend), 2) "
                              "from raw_meta_ads.campaign_daily") == [(60, 60, 617.7)]


def test_rate_limit_that_outlasts_the_retries_is_one_line(tmp_path, meta):
    meta.throttle(17, times=100)
    with pytest.raises(Exception) as failure:
        sync(tmp_path, meta.start(), max_attempts=2)
    assert source_error(failure) == ("Meta kept rate-limiting the sync (error 17) after every retry; what was loaded "
                                     "is kept, run the sync again later")


def test_invalid_token_is_one_line_naming_the_variable_and_never_leaks(tmp_path, meta, caplog):
    """The Graph API answers a bad token with HTTP 400, error 190."""
    with caplog.at_level(logging.DEBUG), pytest.raises(Exception) as failure:
        sync(tmp_path, meta.start(), access_token="EAAB-expired-secret")
    message = source_error(failure)
    assert message.startswith("Meta refused the token (HTTP 400, error 190): set META_ACCESS_TOKEN")
    assert "\n" not in message and "EAAB-expired-secret" not in str(failure.value) + caplog.text


def test_token_never_reaches_a_log_or_a_file(tmp_path, meta, caplog):
    add_samples(meta, today() - timedelta(days=5))
    with caplog.at_level(logging.DEBUG):
        sync(tmp_path, meta.start())
    assert TOKEN not in caplog.text
    assert not any(TOKEN.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_server_errors_are_retried(tmp_path, meta):
    """A 500 and a 503 (Meta's transient error 2 in the body), then the answer: every row, once."""
    add_samples(meta, today() - timedelta(days=5))
    meta.fail(500, times=1, path_contains="insights")
    meta.fail(503, times=1, path_contains="insights")
    sync(tmp_path, meta.start())
    assert api_rows(tmp_path, "select count(*), round(sum(spend), 2) from raw_meta_ads.campaign_daily") == [
        (3, 5351.84)]
    assert len(meta.insights_requests()) == 3


def test_restated_day_replaces_the_old_one_per_account_campaign_and_day(tmp_path, meta):
    """First sync (two accounts): day -2 Prospecting 12.34 and Retargeting 3.00 on account 123456789, 7.00 on
    account 987654321 the same day, and day -40 Prospecting 50.00: 72.34. Meta then restates day -2 of the first
    account (Prospecting refunded to 10.00, Retargeting no longer reported) and changes day -40 too. The second
    sync asks each account from 28 days (the lookback) before the first sync's last day: day -2 becomes 10.00
    alone on that account, the other account's day and day -40 stay: 10.00 + 7.00 + 50.00 = 67.00, each
    (account, campaign, day) once."""
    meta.currencies["987654321"] = "EUR"
    base_url = meta.start()
    recent, old = today() - timedelta(days=2), today() - timedelta(days=40)
    meta.add(ACCOUNT, PROSPECTING, recent, "Prospecting - US", "12.34", 4000, 80)
    meta.add(ACCOUNT, RETARGETING, recent, "Retargeting - EU", "3.00", 100, 2)
    meta.add("987654321", PROSPECTING, recent, "Prospecting - DE", "7.00", 300, 5)
    meta.add(ACCOUNT, PROSPECTING, old, "Prospecting - US", "50.00", 900, 9)
    accounts = [f"act_{ACCOUNT}", "987654321"]
    sync(tmp_path, base_url, ad_account_ids=accounts, start_date=today() - timedelta(days=59))
    totals = "select round(sum(spend), 2), count(*), count(distinct (ad_account_id, campaign_id, spend_date)) " \
             "from staged"
    assert staged(tmp_path, "meta_ads/spend", totals) == [(72.34, 4, 4)]

    meta.add(ACCOUNT, PROSPECTING, recent, "Prospecting - US", "10.00", 4000, 79)
    del meta.rows[(ACCOUNT, RETARGETING, recent)]
    meta.add(ACCOUNT, PROSPECTING, old, "Prospecting - US", "99.00", 900, 9)
    before = len(meta.insights_requests())
    sync(tmp_path, base_url, ad_account_ids=accounts, start_date=today() - timedelta(days=59))
    assert staged(tmp_path, "meta_ads/spend", totals) == [(67.0, 3, 3)]
    assert staged(tmp_path, "meta_ads/spend", "select ad_account_id, campaign_id, spend from staged "
                                              "where spend_date = current_date - 2 order by 1") == [
        (ACCOUNT, PROSPECTING, 10.0), ("987654321", PROSPECTING, 7.0)]
    asked = [json.loads(params["time_range"]) for params in meta.insights_requests()[before:]]
    window = {"since": str(today() - timedelta(days=28)), "until": str(today())}
    assert asked == [window, window]


CREDENTIALS = {"META_ACCESS_TOKEN": TOKEN, "META_AD_ACCOUNT_IDS": f"act_{ACCOUNT}"}


def test_variables_configure_the_source_or_leave_it_out():
    assert "meta_ads" not in Settings.from_env({}).sources
    settings = Settings.from_env({**CREDENTIALS, "META_AD_ACCOUNT_IDS": "act_123, 456", "ADS_LOOKBACK_DAYS": "3"})
    config = settings.source("meta_ads")
    assert "meta_ads" in settings.sources
    assert (config.ad_account_ids, config.lookback_days) == (("123", "456"), 3)
    assert TOKEN not in repr(config)
    with pytest.raises(ConfigError, match="META_ACCESS_TOKEN is set, but not all that is needed: set "
                                          "META_ACCESS_TOKEN and META_AD_ACCOUNT_IDS"):
        Settings.from_env({"META_ACCESS_TOKEN": TOKEN})
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**CREDENTIALS, "META_AD_ACCOUNT_IDS": "act_12x"})
    assert str(error.value).startswith("META_AD_ACCOUNT_IDS='act_12x' is not a comma-separated list of numeric "
                                       "account ids")


def test_loading_the_code_location_asks_meta_nothing(tmp_path, meta):
    project = Project(tmp_path, **CREDENTIALS, META_BASE_URL=f"{meta.start()}/{VERSION}")
    defs = build_definitions(project.settings)
    assert defs.resolve_schedule_def("meta_ads_daily").cron_schedule == "0 4 * * *"
    assert meta.requests == []


def test_a_run_brings_meta_spend_to_staging_spend_and_marts_cac(tmp_path, meta):
    """The platform configured by its variables alone: `Project.run` syncs it through its declaration, staging
    maps it onto staging.spend, and marts.cac counts it. Two customers won on day -3 (exports); that day
    Prospecting spent 12.34 and Retargeting 0.66 USD (the reporting currency): paid spend 13.00, paid CAC
    13.00 / 2 = 6.50."""
    day = today() - timedelta(days=3)
    meta.add(ACCOUNT, PROSPECTING, day, "Prospecting - US", "12.34", 4000, 80, leads=3)
    meta.add(ACCOUNT, RETARGETING, day, "Retargeting - EU", "0.66", 50, 1)
    project = Project(tmp_path, **CREDENTIALS, META_BASE_URL=f"{meta.start()}/{VERSION}",
                      ADS_START_DATE=str(day - timedelta(days=5)), REPORTING_CURRENCY="USD")
    project.write("companies.csv", "company_id,name\nc1,Acme\nc2,Beta")
    project.write("deals.csv", "deal_id,company_id,created_at,status,closed_at,amount,currency\n"
                               f"d1,c1,{day - timedelta(days=20)}T09:00:00Z,won,{day},5000,USD\n"
                               f"d2,c2,{day - timedelta(days=20)}T09:00:00Z,won,{day},700,USD")
    assert failed_checks(project.run()) == {}
    assert project.query("SELECT source_system, campaign_id, spend, leads, currency, channel FROM staging.spend "
                         "ORDER BY campaign_id") == [("meta_ads", PROSPECTING, 12.34, 3.0, "USD", "paid_social"),
                                                     ("meta_ads", RETARGETING, 0.66, 0.0, "USD", "paid_social")]
    assert project.one("SELECT paid_spend, new_customers, paid_cac FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = date_trunc('month', ?::DATE)", [day]) == (13.0, 2, 6.5)


def test_cli_run_select_meta_ads_syncs_it_and_a_refused_token_is_one_line(tmp_path, meta, monkeypatch, capsys):
    from pipelines.cli import main

    add_samples(meta, today() - timedelta(days=5))
    monkeypatch.chdir(tmp_path)  # no .env
    for variable, value in {**CREDENTIALS, "META_BASE_URL": f"{meta.start()}/{VERSION}",
                            "ADS_START_DATE": str(today() - timedelta(days=10)), "REPORTING_CURRENCY": "USD",
                            "PAYBACK_DUCKDB_PATH": str(tmp_path / "p.duckdb"),
                            "PAYBACK_EXPORTS_DIR": str(tmp_path / "exports"),
                            "DAGSTER_HOME": str(tmp_path / "dagster_home")}.items():
        monkeypatch.setenv(variable, value)
    assert main(["run", "--select", "meta_ads"]) == 0
    out = capsys.readouterr().out
    assert "raw_meta_ads.campaign_daily: 3 rows loaded, 3 in table" in out and "marts.cac" in out
    assert main(["sources"]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert listed["meta_ads"].split()[1] == "yes" and "campaign_daily 3" in listed["meta_ads"]
    assert "no — set GOOGLE_ADS_DEVELOPER_TOKEN" in listed["google_ads"]

    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-revoked-secret")
    assert main(["run", "--select", "meta_ads"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("payback: raw_meta_ads failed: Meta refused the token (HTTP 400, error 190): set "
                                   "META_ACCESS_TOKEN")
    assert "EAAB-revoked-secret" not in captured.out + captured.err and TOKEN not in captured.out + captured.err

"""Meta against a local server that speaks its documented Marketing API (tests/fake_apis/meta_ads.py): campaign
insights one day per row with metrics as strings, cursor paging, rate limits as HTTP 400 with error codes and
usage headers, an invalid token as error 190, restated days."""

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.config import ConfigError
from pipelines.exports.ad_reports import read_ad_report
from pipelines.sources.ad_platforms import today
from pipelines.sources.meta_ads import meta_ads_source, source_from_env
from tests.conftest import api_rows, source_error, staged, sync_api_source
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
        (ACCOUNT, "paid_social")]


def test_same_spend_through_the_api_and_the_ui_export_to_the_cent(tmp_path, meta):
    """The API serves the days of the Ads Manager export fixture: "5339.5" there is "5,339.50" in the export. Both
    give 5,351.84 USD, and the same spend for every campaign and day."""
    first = date(2024, 9, 1)
    add_samples(meta, first)
    sync(tmp_path, meta.start(), start_date=first)
    api = staged(tmp_path, "meta_ads/spend", "select spend_date, campaign_id, round(spend, 2), currency "
                                             "from staged order by all")
    export = sorted((r["date"], r["campaign_id"], round(r["spend"], 2), r["currency"])
                    for batch in read_ad_report(FIXTURES / "meta_ads_manager_export.csv") for r in batch.to_pylist())
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


def test_restated_day_replaces_the_old_one(tmp_path, meta):
    """Day -2 first reads 12.34; Meta then restates it to 10.00 (an invalid-click refund). The second sync re-reads
    the lookback: 10.00, one row."""
    base_url = meta.start()
    day = today() - timedelta(days=2)
    meta.add(ACCOUNT, PROSPECTING, day, "Prospecting - US", "12.34", 4000, 80)
    sync(tmp_path, base_url)
    meta.add(ACCOUNT, PROSPECTING, day, "Prospecting - US", "10.00", 4000, 79)
    sync(tmp_path, base_url)
    assert staged(tmp_path, "meta_ads/spend", "select spend_date, spend, clicks from staged") == [(day, 10.0, 79.0)]


def test_variables_configure_the_source_or_leave_it_out():
    assert source_from_env({}) is None
    source = source_from_env({"META_ACCESS_TOKEN": "t", "META_AD_ACCOUNT_IDS": "act_123, 456"})
    assert source.name == "meta_ads"
    with pytest.raises(ConfigError, match="META_AD_ACCOUNT_IDS must be set with META_ACCESS_TOKEN"):
        source_from_env({"META_ACCESS_TOKEN": "t"})
    with pytest.raises(ConfigError, match="META_AD_ACCOUNT_IDS="):
        source_from_env({"META_ACCESS_TOKEN": "t", "META_AD_ACCOUNT_IDS": "act_12x"})

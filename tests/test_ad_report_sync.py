"""Ad platforms' UI reports dropped in the exports folder: recognised by their content whatever their name, loaded
into raw_exports.ad_spend and staging.spend by the ad_spend key (a report dropped again never doubles spend), bad
rows rejected with file, line and reason, a file of no kind told which reports are understood; and a report
overlapping the platform's API sync gives way to it."""

import shutil
from datetime import timedelta
from pathlib import Path

from pipelines.sources.ad_platforms import today
from tests.conftest import Project, failed_checks
from tests.fake_apis.google_ads import VERSION, FakeGoogleAds

FIXTURES = Path(__file__).parent / "fixtures" / "ad_reports"

# Line 1-2 preamble, 3 header; line 7 has a cost that is no number; lines 9-10 are the totals.
GOOGLE_REPORT = """\
Campaign report
"January 1, 2025 - January 2, 2025"
Day,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks,Conversions
2025-01-01,Brand - Search,111,USD,"1,234.50","1,000",80,2.00
2025-01-01,Generic - Search,222,USD,10.25,500,10,--
2025-01-02,Brand - Search,111,USD,99.99,400,9,1.00
2025-01-02,Generic - Search,222,USD,12.3x,50,1,0.00
2025-01-03,Generic - Search,222,USD,0.26,40,1,0.00
Total: Account,--,--,USD,"1,357.30","1,990",101,3.00
Total: Campaigns,--,--,USD,"1,357.30","1,990",101,3.00
"""


def test_a_google_ads_report_loads_into_staging_spend_whatever_its_name(tmp_path):
    """Good rows: 1,234.50 + 10.25 + 99.99 + 0.26 = 1,345.00 USD (the `Total:` rows are no data); line 7's
    `12.3x` is rejected with its line; impressions 1,000 + 500 + 400 + 40 = 1,940; the `--` conversions of line 5
    are unknown (NULL), not 0: 2 + 1 + 0 = 3."""
    project = Project(tmp_path)
    (project.exports / "Campaign report (3).csv").write_text(GOOGLE_REPORT)
    project.run()
    assert project.one("SELECT round(sum(spend), 2), count(*), sum(impressions), sum(conversions) "
                       "FROM staging.spend") == (1345.0, 4, 1940.0, 3.0)
    assert project.query("SELECT DISTINCT platform, channel, currency, source_system FROM staging.spend") == [
        ("google_ads", "paid_search", "USD", "exports")]
    assert project.one("SELECT conversions FROM staging.spend WHERE campaign_id = '222' "
                       "AND spend_date = '2025-01-01'") == (None,)
    assert project.query("SELECT file, line, reason FROM raw_exports.rejects") == [
        ("Campaign report (3).csv", 7, "Cost '12.3x' is not a number")]

    # Dropped again under another name, and the first copy touched: the same rows, once.
    shutil.copy(project.exports / "Campaign report (3).csv", project.exports / "ad_spend_google.csv")
    (project.exports / "Campaign report (3).csv").write_text(GOOGLE_REPORT)
    project.run()
    assert project.one("SELECT round(sum(spend), 2), count(*) FROM staging.spend") == (1345.0, 4)


def test_the_three_platforms_reports_meet_in_staging_spend(tmp_path):
    """Google 4,770.89 USD (tests/fixtures/ad_reports: six days), Meta 12.34 + 5,339.50 + 0.00 = 5,351.84 USD,
    LinkedIn 19.92 + 27.50 = 47.42 EUR; the Excel flavour of the Google report (UTF-16, tabs) holds the same rows
    as the CSV one, so the pair loads them once."""
    project = Project(tmp_path)
    for name in ("google_ads_campaign_report.csv", "google_ads_campaign_report_excel.csv",
                 "meta_ads_manager_export.csv", "linkedin_campaign_performance.csv"):
        shutil.copy(FIXTURES / name, project.exports / name.replace("_", " "))
    project.run()
    assert project.query("SELECT platform, currency, round(sum(spend), 2), count(*) FROM staging.spend "
                         "GROUP BY ALL ORDER BY ALL") == [("google_ads", "USD", 4770.89, 6),
                                                          ("linkedin_ads", "EUR", 47.42, 2),
                                                          ("meta_ads", "USD", 5351.84, 3)]
    assert project.query("SELECT count(*) FROM raw_exports.rejects") == [(0,)]


def test_a_file_of_no_kind_is_told_the_reports_understood(tmp_path):
    project = Project(tmp_path)
    project.write("spend_march.csv", "Week,Channel,Budget,Owner\n2025-W10,search,1000,ana")
    project.run()
    [(reason,)] = project.query("SELECT reason FROM raw_exports.rejects WHERE file = 'spend_march.csv'")
    assert reason.startswith("unknown export file: the name must start with one of contacts, ")
    for title in ("Google Ads campaign report", "Meta Ads Manager export",
                  "LinkedIn Campaign Manager campaign performance export"):
        assert title in reason


CREDENTIALS = {"GOOGLE_ADS_DEVELOPER_TOKEN": "developer-token", "GOOGLE_ADS_CLIENT_ID": FakeGoogleAds.client_id,
               "GOOGLE_ADS_CLIENT_SECRET": "client-secret", "GOOGLE_ADS_REFRESH_TOKEN": "refresh-token",
               "GOOGLE_ADS_CUSTOMER_IDS": "123-456-7890"}


def test_a_report_overlapping_the_api_sync_gives_way_to_it(tmp_path):
    """The API holds campaign 111 on day -3 at 100.00 USD (restated since the report was downloaded, which says
    90.00); the report also holds campaign 111 on day -4 (5.00), which the API does not. staging.spend: the API's
    100.00 and the report's 5.00, 105.00: the day both hold counted once, at the API's figure."""
    google = FakeGoogleAds(currencies={"1234567890": "USD"})
    day = today() - timedelta(days=3)
    google.add("1234567890", "111", day, "Brand - Search", 100_000_000, 1000, 50)
    base_url = google.start()
    try:
        project = Project(tmp_path, **CREDENTIALS, GOOGLE_ADS_BASE_URL=f"{base_url}/{VERSION}",
                          GOOGLE_OAUTH_TOKEN_URL=f"{base_url}/token", ADS_START_DATE=str(day - timedelta(days=5)),
                          REPORTING_CURRENCY="USD")
        project.write("Campaign report.csv", "Campaign report\n"
                                             "Day,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks\n"
                                             f"{day},Brand - Search,111,USD,90.00,900,45\n"
                                             f"{day - timedelta(days=1)},Brand - Search,111,USD,5.00,50,2\n")
        assert failed_checks(project.run()) == {}
    finally:
        google.stop()
    assert project.query("SELECT source_system, spend_date, spend FROM staging.spend ORDER BY spend_date") == [
        ("exports", day - timedelta(days=1), 5.0), ("google_ads", day, 100.0)]
    assert project.query("SELECT count(*) FROM raw_exports.ad_spend") == [(2,)]

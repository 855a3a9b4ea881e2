"""Currency: every amount converted at the rate of its day from the `fx_rates` export and the ECB's reference-rate
file (FX_RATES_FILE, a path or a URL), through cross rates and the nearest earlier day; an amount without a rate
is kept with its own amount and currency, NULL in the reporting currency, left out of totals and named by an ERROR
check — never converted 1:1.

The ECB file below (newest day first, as the ECB writes it) holds what one euro is worth:

    day              USD     JPY     GBP
    Thu 2025-01-09   1.0400  161.00  0.8300
    Fri 2025-01-10   1.0300  N/A     0.8400
    (weekend: no row)
    Mon 2025-01-13   1.0250  160.00  N/A

With REPORTING_CURRENCY=GBP, one unit of a currency is worth GBP-per-EUR / currency-per-EUR of the nearest earlier
day that quotes each (the cross rate through EUR).
"""

import functools
import http.server
import threading
import zipfile

import pytest
from dagster import AssetCheckSeverity

from pipelines.cli import main
from pipelines.config import ConfigError, Settings
from tests.conftest import Project, failed_checks, source_error

ECB = ("Date,USD,JPY,GBP,\n"
       "2025-01-13,1.0250,160.00,N/A,\n"
       "2025-01-10,1.0300,N/A,0.8400,\n"
       "2025-01-09,1.0400,161.00,0.8300,\n")

# Spend of one campaign a day each: (campaign, day, amount, currency, GBP by hand).
SPEND = [
    ("eur", "2025-01-09", 100, "EUR", 83.0),  # Thursday: 100 EUR × 0.83
    ("usd_sat", "2025-01-11", 100, "USD", 100 * 0.84 / 1.03),  # Saturday: Friday's rates, 81.5534
    ("usd_mon", "2025-01-13", 100, "USD", 100 * 0.84 / 1.025),  # Monday's USD; GBP N/A, so Friday's: 81.9512
    ("jpy", "2025-01-10", 10000, "JPY", 10000 * 0.84 / 161.0),  # Friday; JPY N/A, so Thursday's: 52.1739
    ("gbp", "2025-01-12", 50, "GBP", 50.0),  # already in the reporting currency
    ("early", "2025-01-08", 100, "USD", None),  # before the first day of rates: no rate, never 1:1
    ("chf", "2025-01-09", 100, "CHF", None),  # a currency no file quotes
]


@pytest.fixture
def ecb_file(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB)
    return path


@pytest.fixture
def ecb_server(tmp_path):
    """The ECB's zip on a local HTTP server, as https://www.ecb.europa.eu/stats/eurofxref/ serves it."""
    folder = tmp_path / "www"
    folder.mkdir()
    with zipfile.ZipFile(folder / "eurofxref-hist.zip", "w") as archive:
        archive.writestr("eurofxref-hist.csv", ECB)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def spend_project(tmp_path, fx_rates_file: str) -> Project:
    project = Project(tmp_path / "project", REPORTING_CURRENCY="GBP", FX_RATES_FILE=fx_rates_file)
    project.write("ad_spend.csv", "date,platform,campaign_id,spend,currency\n" + "\n".join(
        f"{day},google_ads,{campaign},{amount},{currency}" for campaign, day, amount, currency, _ in SPEND))
    return project


def converted(project: Project) -> dict:
    rows = project.query("SELECT campaign_id, amount, currency, amount_reporting, fx_missing "
                         "FROM intermediate.sm_costs_daily WHERE cost_type = 'paid_media'")
    return {campaign: (amount, currency, reporting, missing) for campaign, amount, currency, reporting, missing in rows}


def assert_converted_by_hand(project: Project) -> None:
    rows = converted(project)
    for campaign, _, amount, currency, expected in SPEND:
        # The original amount and currency stay beside the converted one.
        assert rows[campaign][:2] == (amount, currency), campaign
        if expected is None:
            assert rows[campaign][2:] == (None, True), campaign
        else:
            assert rows[campaign][2] == pytest.approx(expected, abs=1e-9) and not rows[campaign][3], campaign
    # The month's paid spend is the sum of what converts; the two that do not are counted apart.
    paid_spend, unconverted = project.one("SELECT paid_spend, unconverted_cost_items FROM marts.cac "
                                          "WHERE period_grain = 'month' AND period_start = '2025-01-01'")
    assert paid_spend == pytest.approx(sum(row[4] for row in SPEND if row[4] is not None), abs=1e-6)
    assert unconverted == 2


def test_ecb_file_by_path_converts_through_euro_at_the_nearest_earlier_day(tmp_path, ecb_file):
    project = spend_project(tmp_path, str(ecb_file))
    failed = failed_checks(project.run())
    assert project.query("SELECT rate_date::VARCHAR, quote_currency, rate FROM staging.fx "
                         "WHERE source_system = 'ecb' ORDER BY 1, 2") == [
        ("2025-01-09", "GBP", 0.83), ("2025-01-09", "JPY", 161.0), ("2025-01-09", "USD", 1.04),
        ("2025-01-10", "GBP", 0.84), ("2025-01-10", "USD", 1.03),
        ("2025-01-13", "JPY", 160.0), ("2025-01-13", "USD", 1.025)]
    assert_converted_by_hand(project)

    # Each amount that cannot be converted is named, with its currency and day; nothing else fails.
    check = failed.pop("staging/spend:currency_convertible")
    assert check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["failing_keys"].value == (
        "- spend:google_ads:chf 2025-01-09: no FX rate from CHF to GBP on or before 2025-01-09\n"
        "- spend:google_ads:early 2025-01-08: no FX rate from USD to GBP on or before 2025-01-08")
    assert failed == {}


def test_ecb_zip_by_url_from_a_server(tmp_path, ecb_server):
    project = spend_project(tmp_path, f"{ecb_server}/eurofxref-hist.zip")
    project.run()
    assert project.one("SELECT count(*) FROM raw_ecb.reference_rates") == (7,)
    assert_converted_by_hand(project)


def test_a_file_url_works_offline(tmp_path, ecb_file):
    project = spend_project(tmp_path, ecb_file.as_uri())
    project.run()
    assert_converted_by_hand(project)


def test_the_export_rate_of_a_day_wins_over_the_ecb_rate(tmp_path, ecb_file):
    project = spend_project(tmp_path, str(ecb_file))
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2025-01-10,EUR,USD,1.0500
    """)
    project.run()
    # Saturday's USD: Friday's export rate (1.05) instead of the ECB's (1.03); GBP still the ECB's 0.84.
    assert converted(project)["usd_sat"][2] == pytest.approx(100 * 0.84 / 1.05, abs=1e-9)
    # Monday: the ECB's USD rate of Monday is nearer than the export's of Friday.
    assert converted(project)["usd_mon"][2] == pytest.approx(100 * 0.84 / 1.025, abs=1e-9)


def test_a_won_deal_without_a_rate_is_kept_flagged_and_named(tmp_path, ecb_file):
    project = Project(tmp_path, FX_RATES_FILE=str(ecb_file))
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        d1,A,2025-01-02,won,2025-01-11,1030,USD
        d2,B,2025-01-02,won,2025-01-11,500,CHF
        d3,C,2025-01-02,open,,900,CHF
    """)
    failed = failed_checks(project.run())
    # EUR reporting: d1 closed on Saturday, Friday's rate 1.03 USD per EUR: 1030 / 1.03 = 1000 EUR.
    assert project.query("SELECT deal_id, amount, currency, amount_reporting, fx_missing FROM intermediate.deals "
                         "ORDER BY 1") == [("d1", 1030.0, "USD", pytest.approx(1000.0), False),
                                           ("d2", 500.0, "CHF", None, True), ("d3", 900.0, "CHF", None, True)]
    # Only the won deal counts in a published number: it alone is named. The new customers are both counted, the
    # CHF revenue is left out of the LTV.
    assert failed["staging/deals:currency_convertible"].metadata["failing_keys"].value == (
        "- d2: no FX rate from CHF to EUR on or before 2025-01-11")
    assert project.query("SELECT revenue_id, revenue_reporting FROM intermediate.revenue_events ORDER BY 1") == [
        ("d1", pytest.approx(1000.0)), ("d2", None)]


def test_a_cost_spread_over_days_converts_the_days_that_have_a_rate(tmp_path, ecb_file):
    project = Project(tmp_path, FX_RATES_FILE=str(ecb_file))
    project.write("costs.csv", """
        cost_id,start_date,end_date,team,category,amount,currency
        usd,2025-01-08,2025-01-10,marketing,tools,300,USD
        chf,2025-01-09,2025-01-11,sales,salaries,300,CHF
    """)
    failed = failed_checks(project.run())
    # 100 USD a day: the 8th has no rate yet; the 9th at 1.04 USD per EUR, the 10th at 1.03.
    assert project.query("SELECT cost_date::VARCHAR, amount, currency, amount_reporting FROM "
                         "intermediate.sm_costs_daily WHERE cost_item = 'cost:usd' ORDER BY 1") == [
        ("2025-01-08", 100.0, "USD", None), ("2025-01-09", 100.0, "USD", pytest.approx(100 / 1.04)),
        ("2025-01-10", 100.0, "USD", pytest.approx(100 / 1.03))]
    assert project.one("SELECT sm_cost, unconverted_cost_items FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = '2025-01-01'") == (pytest.approx(100 / 1.04 + 100 / 1.03), 4)
    assert failed["staging/costs:currency_convertible"].metadata["failing_keys"].value == (
        "- cost:chf: no FX rate from CHF to EUR on or before 2025-01-09 (nor on 2 later day(s), to 2025-01-11)\n"
        "- cost:usd: no FX rate from USD to EUR on or before 2025-01-08")


def test_an_unreadable_or_wrong_file_fails_the_sync_naming_the_variable(tmp_path, ecb_server):
    wrong = tmp_path / "rates.csv"
    wrong.write_text("day,currency,rate\n2025-01-09,USD,1.04\n")
    with pytest.raises(Exception) as failure:
        spend_project(tmp_path / "wrong", str(wrong)).run()
    assert source_error(failure).startswith(f"FX_RATES_FILE: {wrong} is not the ECB's reference-rate file")

    bad_value = tmp_path / "bad.csv"
    bad_value.write_text("Date,USD,\n2025-01-09,1.04,\n2025-01-10,-1,\n")
    with pytest.raises(Exception) as failure:
        spend_project(tmp_path / "bad", str(bad_value)).run()
    assert source_error(failure) == f"FX_RATES_FILE: {bad_value} line 3: the USD rate '-1' is not a positive number"

    with pytest.raises(Exception) as failure:
        spend_project(tmp_path / "missing", f"{ecb_server}/nothing-here.zip").run()
    assert source_error(failure).startswith(f"FX_RATES_FILE: {ecb_server}/nothing-here.zip answered HTTP 404")


def test_the_setting_is_checked_at_start_and_configures_the_ecb_source(tmp_path, ecb_file, monkeypatch, capsys):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"FX_RATES_FILE": str(tmp_path / "nowhere.csv")})
    assert str(error.value).startswith(f"FX_RATES_FILE='{tmp_path / 'nowhere.csv'}' is not a file")
    assert Settings.from_env({}).sources == ("exports",)
    assert Settings.from_env({"FX_RATES_FILE": str(ecb_file)}).sources == ("exports", "ecb")
    assert Settings.from_env({"FX_RATES_FILE": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"}
                             ).sources == ("exports", "ecb")  # no request while the settings and code load

    monkeypatch.delenv("FX_RATES_FILE", raising=False)
    monkeypatch.setenv("PAYBACK_DUCKDB_PATH", str(tmp_path / "p.duckdb"))
    monkeypatch.chdir(tmp_path)  # no .env
    assert main(["run", "--select", "ecb"]) == 2
    assert capsys.readouterr().err == "payback: ecb is not configured: set FX_RATES_FILE\n"

"""Ad platforms' UI report downloads (pipelines/exports/ad_reports.py): recognised by their content, read into
ad_spend rows, bad rows rejected with their line and a reason. Fixtures in tests/fixtures/ad_reports/."""

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipelines.exports.ad_reports import AdReportError, detect_ad_report, report_query
from tests.ad_report_rows import ad_report_rows

FIXTURES = Path(__file__).parent / "fixtures" / "ad_reports"


def rows(path: Path) -> list[dict]:
    return [row for batch in ad_report_rows(path, batch_rows=2) for row in batch.to_pylist()]


def good(path: Path) -> list[dict]:
    return [row for row in rows(path) if row["reject_reason"] is None]


def test_google_ads_campaign_report_without_its_preamble_and_totals(tmp_path):
    """Six campaign days (lines 4-9) after two preamble lines; the three `Total:` rows are not data. Spend
    2,500.00 + 3.00 + 1,234.56 + 0.01 + 987.65 + 45.67 = 4,770.89 USD, 5,768 impressions (thousands separators),
    and the `--` conversions of line 7 are unknown, not zero."""
    read = rows(FIXTURES / "google_ads_campaign_report.csv")
    assert [row["line"] for row in read] == [4, 5, 6, 7, 8, 9]
    assert all(row["reject_reason"] is None for row in read)
    assert round(sum(row["spend"] for row in read), 2) == 4770.89
    assert sum(row["impressions"] for row in read) == 5768
    assert read[3] == {"date": date(2024, 1, 2), "platform": "google_ads", "campaign_id": "9876543211",
                       "spend": 0.01, "currency": "USD", "account_id": None, "campaign_name": "Generic - Search",
                       "channel": None, "impressions": 12.0, "clicks": 1.0, "leads": None,
                       "conversions": None, "line": 7, "reject_reason": None, "raw_row": None}


def test_google_ads_excel_flavour_utf16_tab_separated_reads_the_same():
    csv_rows = rows(FIXTURES / "google_ads_campaign_report.csv")
    excel = FIXTURES / "google_ads_campaign_report_excel.csv"
    assert excel.read_bytes()[:2] == b"\xff\xfe"  # UTF-16 little endian with its BOM
    assert rows(excel) == csv_rows


def test_a_report_is_recognised_by_its_content_whatever_its_name(tmp_path):
    renamed = tmp_path / "Campaign report (3).csv"
    shutil.copy(FIXTURES / "google_ads_campaign_report.csv", renamed)
    assert detect_ad_report(renamed).name == "google_ads_campaign_report"
    assert detect_ad_report(FIXTURES / "meta_ads_manager_export.csv").name == "meta_ads_manager_export"
    assert detect_ad_report(FIXTURES / "linkedin_campaign_performance.csv").name == "linkedin_campaign_performance"
    plain = tmp_path / "ad_spend.csv"
    plain.write_text("date,platform,campaign_id,spend,currency\n2025-03-04,google_ads,g-brand,152.40,USD\n")
    assert detect_ad_report(plain) is None


def test_a_file_that_is_no_report_gets_the_list_of_understood_formats(tmp_path):
    path = tmp_path / "spend_march.csv"
    path.write_text("Week,Channel,Budget,Owner\n2025-W10,search,1000,ana\n")
    assert detect_ad_report(path) is None
    with pytest.raises(AdReportError) as failure:
        list(ad_report_rows(path))
    message = str(failure.value)
    assert message.startswith("spend_march.csv: not an ad platform report Payback understands. Understood reports: ")
    for title in ("Google Ads campaign report", "Meta Ads Manager export",
                  "LinkedIn Campaign Manager campaign performance export"):
        assert title in message


def test_meta_ads_manager_export_by_day():
    """Currency from `Amount spent (USD)`, clicks from `Clicks (all)` (not link clicks), `Results` as conversions:
    12.34 + 5,339.50 + 0.00 = 5,351.84 USD."""
    read = good(FIXTURES / "meta_ads_manager_export.csv")
    assert [(r["date"], r["campaign_id"], r["spend"], r["currency"], r["clicks"], r["conversions"]) for r in read] == [
        (date(2024, 9, 1), "120200000000000001", 12.34, "USD", 80.0, 3.0),
        (date(2024, 9, 2), "120200000000000001", 5339.5, "USD", 2711.0, None),
        (date(2024, 9, 2), "120200000000000002", 0.0, "USD", 0.0, None)]
    assert {(r["platform"], r["channel"]) for r in read} == {("meta_ads", None)}  # the channel map decides


def test_meta_export_without_a_day_column_takes_one_day_ranges_and_rejects_longer_ones(tmp_path):
    """Without `Day`, a row is one day when its reporting range is: line 3 covers a whole month and is rejected
    with the fix; a campaign without an id column is identified by its name."""
    path = tmp_path / "Meta-Ads-export.csv"
    path.write_text("Campaign name,Reporting starts,Reporting ends,Amount spent (EUR),Impressions,Link clicks\n"
                    "Prospecting - EU,2024-09-01,2024-09-01,10.50,100,4\n"
                    "Prospecting - EU,2024-09-01,2024-09-30,300.00,3000,40\n")
    read = rows(path)
    assert [(r["date"], r["campaign_id"], r["spend"], r["currency"], r["clicks"]) for r in read[:1]] == [
        (date(2024, 9, 1), "Prospecting - EU", 10.5, "EUR", 4.0)]
    assert read[1]["line"] == 3
    assert read[1]["reject_reason"] == ("the row covers 2024-09-01 to 2024-09-30, not one day: export the report "
                                        "broken down by day")
    assert json.loads(read[1]["raw_row"])["Amount spent (EUR)"] == "300.00"


def test_linkedin_campaign_performance_export():
    """Preamble lines (the account id among them), slashed dates read month first (none above 12 in first
    place): 19.92 + 27.50 = 47.42 EUR."""
    read = good(FIXTURES / "linkedin_campaign_performance.csv")
    assert [(r["date"], r["campaign_id"], r["campaign_name"], r["account_id"], r["spend"], r["currency"],
             r["conversions"]) for r in read] == [
        (date(2026, 3, 1), "145282384", "ABM - Decision makers", "507404993", 19.92, "EUR", 0.0),
        (date(2026, 3, 2), "145282384", "ABM - Decision makers", "507404993", 27.5, "EUR", 1.0)]
    assert {(r["platform"], r["channel"]) for r in read} == {("linkedin_ads", None)}


def test_slashed_dates_are_day_first_when_the_file_says_so(tmp_path):
    """13/3/2026 can only be day first, so 1/3/2026 in the same file is the 1st of March too."""
    path = tmp_path / "linkedin.csv"
    path.write_text("Start Date (in UTC),Campaign Name,Campaign ID,Currency,Total Spent\n"
                    "1/3/2026,ABM,1,EUR,1.00\n13/3/2026,ABM,1,EUR,2.00\n")
    assert [r["date"] for r in rows(path)] == [date(2026, 3, 1), date(2026, 3, 13)]
    path.write_text("Start Date (in UTC),Campaign Name,Campaign ID,Currency,Total Spent\n"
                    "13/3/2026,ABM,1,EUR,1.00\n3/13/2026,ABM,1,EUR,2.00\n")
    with pytest.raises(AdReportError, match="mix day/month/year and month/day/year"):
        rows(path)


def test_a_bad_row_is_rejected_with_its_line_and_the_rest_loads(tmp_path):
    """Line 3: a cost that is not a number. Line 4: no currency. Line 5: no day. Line 6 loads, thousands and all.
    Line 7: a currency that is no ISO 4217 code."""
    path = tmp_path / "report.csv"
    path.write_text("Campaign report\n"
                    "Day,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks\n"
                    "2024-01-01,Brand,1,USD,12.3x,10,1\n"
                    "2024-01-01,Generic,2,--,4.00,10,1\n"
                    "--,Brand,1,USD,4.00,10,1\n"
                    '2024-01-02,Brand,1,usd,"1,004.00",10,1\n'
                    "2024-01-02,Generic,2,EURO,4.00,10,1\n")
    read = rows(path)
    assert [(r["line"], r["reject_reason"]) for r in read] == [
        (3, "Cost '12.3x' is not a number"),
        (4, "no currency: add the currency column to the report (or export with the currency code in the spend "
            "column's name)"),
        (5, "Day is empty: every row needs its day"),
        (6, None),
        (7, "currency 'EURO' is not an ISO 4217 code (EUR, USD…)")]
    assert (read[3]["spend"], read[3]["currency"]) == (1004.0, "USD")
    assert json.loads(read[0]["raw_row"]) == {"Day": "2024-01-01", "Campaign": "Brand", "Campaign ID": "1",
                                              "Currency code": "USD", "Cost": "12.3x", "Impr.": "10", "Clicks": "1"}


def test_a_currency_sign_and_spaces_around_a_number_are_ignored(tmp_path):
    """`$12.50` is 12.50 and `12 €` is 12; `$1.234` is 1.234, as `1.234` is (`1.000` is one); `N/a`, like `n/a`
    and `--`, is an empty value."""
    path = tmp_path / "report.csv"
    path.write_text("Day,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks\n"
                    "2024-01-01,Brand,1,USD,$12.50,N/a,1\n"
                    "2024-01-01,Brand,2,EUR,12 €,10,1\n"
                    "2024-01-01,Brand,3,USD,$1.234,10,1\n"
                    "2024-01-01,Brand,4,USD,1.234,10,1\n")
    read = rows(path)
    assert [(r["line"], r["spend"], r["impressions"], r["reject_reason"]) for r in read] == [
        (2, 12.5, None, None), (3, 12.0, 10.0, None), (4, 1.234, 10.0, None), (5, 1.234, 10.0, None)]


ODD_VALUES = ["", " ", "  ", ",", ".", "-", "--", " -- ", "—", "n/a", "N/A", "N/a", "1,", ",1", "1.", ".5", "-.5", "+1",
              "1_000", "0x1F", "1e5", "1E+5", " 1 ", "\t1", "1,2.3,4", "inf", "nan", "-0", "1d", "12,5", "1.234,56",
              "1,234.56", "1.234.567", "1,234,567", "1 234", "(12)", "12-", "1,,2", "1..2", "e5", "−5", "$12", "12 €",
              "12%", "Total", "2024-01-01", "Jan 2, 2024", "1/2/2024", '"', "a,b"]


@pytest.mark.parametrize(("column", "decimal"), [("Day", "."), ("beyond the header", "."), ("Cost", "."),
                                               ("Impr.", "."), ("Cost", ",")])
def test_the_fast_read_gives_the_exact_reads_rows_or_gives_up(tmp_path, column, decimal):
    """DuckDB's CSV reader types the numbers of the fast read; whatever a value, the fast read either gives the
    rows the exact read gives, or fails (and the exact read takes over from that row)."""
    header = ["Day", "Campaign", "Campaign ID", "Currency code", "Cost", "Impr.", "Clicks"]
    first = ["2024-01-01", "Brand", "1", "USD", f"1{decimal}50", "10", "1"]  # its cost shows the decimal mark
    with duckdb.connect() as con:
        for number, value in enumerate(ODD_VALUES):
            row = ["2024-01-02", "Generic", "2", "USD", "3", "20", "2"]
            if column in header:
                row[header.index(column)] = value
            else:
                row.append(value)
            path = tmp_path / f"report-{number}.csv"
            with path.open("w", newline="") as handle:
                csv.writer(handle).writerows([header, first, row])
            query = report_query(con, path, tmp_path)
            try:
                fast = con.execute(query.fast).fetchall()
            except duckdb.Error:
                continue
            assert fast == con.execute(query.exact).fetchall(), value


def test_a_report_with_a_decimal_comma(tmp_path):
    """The file's numbers show a comma as their decimal mark (1.234,56; 2,5), so the point separates thousands
    there: `1.000` impressions are a thousand."""
    path = tmp_path / "report.csv"
    path.write_text("Day,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks,Conversions\n"
                    '2024-01-01,Brand,1,EUR,"1.234,56",1.000,80,"2,5"\n'
                    '2024-01-02,Brand,1,EUR,"3,00",500,10,--\n')
    assert [(r["spend"], r["impressions"], r["conversions"], r["reject_reason"]) for r in rows(path)] == [
        (1234.56, 1000.0, 2.5, None), (3.0, 500.0, None, None)]


def test_a_bad_row_far_into_a_long_report(tmp_path):
    """300,000 campaign days (lines 3 to 300,002), campaign i costing i (with thousands separators); line 250,003
    costs `12.3x`. The rows before and after it load once each, with their lines: 299,999 rows, spend
    0 + 1 + … + 299,999 - 250,000 = 44,999,600,000."""
    path = tmp_path / "report.csv"
    with path.open("w") as report:
        report.write("Campaign report\nDay,Campaign,Campaign ID,Currency code,Cost,Impr.,Clicks\n")
        report.writelines(f'2024-01-01,Campaign {i},{i},USD,"{i:,}.00",10,1\n' if i != 250_000 else
                          f"2024-01-01,Campaign {i},{i},USD,12.3x,10,1\n" for i in range(300_000))
    read = [batch.select(["line", "spend", "reject_reason"]) for batch in ad_report_rows(path)]
    table = pa.Table.from_batches(read)
    good = table.filter(pc.is_null(table["reject_reason"]))
    assert good.num_rows == 299_999
    assert pc.sum(good["spend"]).as_py() == 44_999_600_000
    assert good["line"].to_pylist() == [*range(3, 250_003), *range(250_004, 300_003)]
    assert table.filter(pc.is_valid(table["reject_reason"])).to_pylist() == [
        {"line": 250_003, "spend": None, "reject_reason": "Cost '12.3x' is not a number"}]


def test_a_value_beyond_the_header_is_rejected_unless_it_is_empty(tmp_path):
    """Line 2 ends with a comma and line 3 with `--` (empty values); line 4 holds a value the header has no column
    for."""
    path = tmp_path / "report.csv"
    path.write_text("Day,Campaign,Campaign ID,Currency code,Cost\n"
                    "2024-01-01,Brand,1,USD,1.00,\n"
                    "2024-01-02,Brand,1,USD,2.00,--\n"
                    "2024-01-03,Brand,1,USD,3.00,oops\n")
    assert [(r["line"], r["spend"], r["reject_reason"]) for r in rows(path)] == [
        (2, 1.0, None), (3, 2.0, None), (4, 3.0, "more values than the header has columns")]

"""Bad input: every kind of contract break lands in raw_exports.rejects with its reason, the rest loads, and a
Dagster check fails naming the rows."""

import json
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipelines.exports import reader
from pipelines.exports.contract import KINDS, DateWindow
from pipelines.exports.handoff import ParquetHandoff
from pipelines.exports.reader import BATCH_ROWS, KEY_CHECK_ROWS, KeyRepeated, plan_file, read_file
from pipelines.exports.source import _reader_connection
from tests.conftest import Project, failed_checks

DEALS = """
    deal_id,company_id,created_at,status,closed_at,amount,currency
    ok1,A,2025-01-05,won,2025-01-20,100,EUR
    bad_status,A,2025-01-05,pending,,100,EUR
    bad_amount,A,2025-01-05,open,,12abc,EUR
    bad_date,A,yesterday,open,,100,EUR
    bad_currency,A,2025-01-05,open,,100,EURO
    ,A,2025-01-05,open,,100,EUR
    backwards,A,2025-02-05,won,2025-01-05,100,EUR
    no_close,A,2025-01-05,lost,,100,EUR
    too_long,A,2025-01-05,open,,100,EUR,surplus
    twin,A,2025-01-05,open,,100,EUR
    twin,A,2025-01-05,open,,200,EUR
    ok2,A,2025-01-05,open,,100,EUR
"""

EXPECTED_REASONS = {
    3: "unknown status: pending (expected open | won | lost)",
    4: "unparseable number in amount: 12abc",
    5: "unparseable timestamp in created_at: yesterday",
    6: "unknown currency in currency: EURO (not an ISO 4217 code)",
    7: "missing required field deal_id",
    8: "deal closed before it was created (closed_at < created_at)",
    9: "closed_at is required when status is won or lost",
    10: "more values than header columns",
    11: "duplicate deal_id twin: 2 rows and no later updated_at to tell which is current",
    12: "duplicate deal_id twin: 2 rows and no later updated_at to tell which is current",
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("rejects"))
    project.write("deals.csv", DEALS)
    project.write("costs.csv", "cost_id,start_date,amount\nk1,2025-01-01,10")  # missing end_date, team, …
    project.write("campaign_report.csv", "a,b\n1,2")  # no such export kind
    (project.exports / "orders.csv").write_text("")
    project.write("contacts.jsonl", '{"contact_id": "c1", "created_at": "2025-01-01"}\n{not json\n')
    return project, project.run()


def test_each_contract_break_is_rejected_with_its_reason(broken):
    project, _ = broken
    reasons = dict(project.query("SELECT line, reason FROM staging.rejects WHERE file = 'deals.csv'"))
    assert reasons == EXPECTED_REASONS


def test_good_rows_load_despite_bad_ones(broken):
    project, _ = broken
    assert project.query("SELECT deal_id FROM staging.deals ORDER BY 1") == [("ok1",), ("ok2",)]


def test_reject_keeps_the_raw_row(broken):
    """The row as read, by header name; the values past the header appear only in the row that has them."""
    project, _ = broken
    raw = dict(project.query("SELECT line, raw_row FROM raw_exports.rejects WHERE file = 'deals.csv'"))
    assert json.loads(raw[3]) == {"deal_id": "bad_status", "company_id": "A", "created_at": "2025-01-05",
                                  "status": "pending", "closed_at": None, "amount": "100", "currency": "EUR"}
    assert json.loads(raw[10])["column7"] == "surplus"


def test_missing_required_column_and_unknown_file_are_reported_by_name(broken):
    project, _ = broken
    reasons = dict(project.query("SELECT file, reason FROM staging.rejects WHERE line IS NULL"))
    assert reasons["costs.csv"] == "missing required column(s): end_date, team, category, currency"
    assert reasons["campaign_report.csv"].startswith("unknown export file")
    assert reasons["orders.csv"] == "empty file: not even a header row"


def test_malformed_json_line_is_rejected(broken):
    project, _ = broken
    assert project.query("SELECT line, reason FROM staging.rejects WHERE file = 'contacts.jsonl'") == [
        (2, "malformed JSON line")]
    assert project.query("SELECT contact_id FROM staging.contacts") == [("c1",)]


def test_checks_fail_naming_the_rejected_rows(broken):
    _, result = broken
    failed = failed_checks(result)
    deals = failed["raw_exports/deals:no_rejects"]
    assert deals.metadata["failing_rows"].value == 10
    assert "deals.csv:3: unknown status: pending" in deals.metadata["failing_keys"].value
    assert "campaign_report.csv" in failed["raw_exports/rejects:no_rejects"].metadata["failing_keys"].value
    assert "costs.csv" in failed["raw_exports/costs:no_rejects"].metadata["failing_keys"].value


def test_fixing_a_file_clears_its_rejects(tmp_path):
    project = Project(tmp_path)
    project.write("deals.csv", DEALS)
    project.run()
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        ok1,A,2025-01-05,won,2025-01-20,100,EUR
    """)
    result = project.run()
    assert project.query("SELECT * FROM staging.rejects") == []
    assert failed_checks(result) == {}


def test_currency_without_rate_is_flagged_and_left_out_of_totals(tmp_path):
    project = Project(tmp_path)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency
        2025-01-10,google_ads,g1,100,EUR
        2025-01-11,google_ads,g1,999,JPY
        2025-01-12,google_ads,g1,-5,EUR
    """)
    result = project.run()
    # 100 + (-5) EUR count; the JPY row has no rate: kept in staging, left out of the total, named by a check.
    assert project.one("SELECT paid_spend, unconverted_cost_items FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = '2025-01-01'") == (95, 1)
    assert project.one("SELECT count(*) FROM staging.spend") == (3,)
    failed = failed_checks(result)
    shown = failed["staging/spend:currency_convertible"].metadata["failing_keys"].value
    assert "no FX rate from JPY to EUR on or before 2025-01-11" in shown
    assert "spend -5" in failed["staging/spend:spend_not_negative"].metadata["failing_keys"].value


def read_deals(path, batch_rows: int = BATCH_ROWS, count_keys: bool = True, timezone: str = "UTC",
               date_window: DateWindow | None = None) -> tuple[pa.Table | None, list[pa.Table]]:
    """A deals export read straight through the reader: its good rows (None when none) and its rejects."""
    con = _reader_connection(timezone)
    with ParquetHandoff(path.parent, not_null=KINDS["deals"].primary_key) as good_rows:
        rejects = list(read_file(con, plan_file(con, path, path.name, KINDS["deals"], count_keys, date_window),
                                 good_rows, batch_rows))
        return (pq.read_table(good_rows.path) if good_rows.rows else None), rejects


def reject_lines(rejects: list[pa.Table]) -> list[tuple[int, str]]:
    return [(line, reason) for table in rejects
            for line, reason in zip(table["line"].to_pylist(), table["reason"].to_pylist(), strict=True)]


def test_line_numbers_hold_across_batches(tmp_path):
    """A file large enough for DuckDB to parse in parallel, read in tables of 1,000 rows: each reject still
    names its own line (header = line 1, so row n is line n + 1) and every good row loads exactly once."""
    rows = 200_000
    bad = {1: "12abc", 2_048: "x", 2_049: "", 99_999: "?", rows: "n/a"}  # row number -> broken amount
    lines = ["deal_id,company_id,created_at,status,amount,currency"]
    lines += [f"d{n},A,2025-01-05,open,{bad.get(n, n)},EUR" for n in range(1, rows + 1)]
    lines.append(f"d{rows // 2},A,2025-01-05,open,1,EUR")  # a second d100000, same (absent) updated_at
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(lines) + "\n")

    good, rejects = read_deals(path, batch_rows=1_000)
    rejected = dict(reject_lines(rejects))

    duplicate = "duplicate deal_id d100000: 2 rows and no later updated_at to tell which is current"
    assert rejected == {2: "unparseable number in amount: 12abc", 2_049: "unparseable number in amount: x",
                        2_050: "missing required field amount", 100_000: "unparseable number in amount: ?",
                        100_001: duplicate, rows + 1: "unparseable number in amount: n/a", rows + 2: duplicate}
    assert good.num_rows == rows + 1 - len(rejected)


def test_a_quoted_value_or_a_surplus_value_past_the_sniffed_sample_is_read_like_any_other(tmp_path):
    """DuckDB sniffs the dialect from the first 20,480 rows. Here none of them is quoted or too long; row 25,000
    has an extra value (line 25,001: rejected for it, the rest loads) and row 26,000 a quoted value with a comma
    and a doubled quote (read as one value)."""
    rows = 30_000
    lines = ["deal_id,company_id,created_at,status,amount,currency,pipeline"]
    lines += [f"d{n},A,2025-01-05,open,{n},EUR,New" + (",surplus" if n == 25_000 else "") for n in range(1, rows + 1)]
    lines[26_000] = 'd26000,A,2025-01-05,open,26000,EUR,"Renewals, ""EU"""'
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(lines) + "\n")

    good, rejects = read_deals(path)
    assert reject_lines(rejects) == [(25_001, "more values than header columns")]
    assert good.num_rows == rows - 1
    [renewal] = good.filter(pc.equal(good["deal_id"], "d26000")).to_pylist()
    assert (renewal["pipeline"], renewal["amount"]) == ('Renewals, "EU"', 26000.0)


def test_values_padded_with_spaces_are_read_and_blank_ones_are_missing(tmp_path):
    """Casts take ' 100 ' as 100 without trimming first; a text value starting or ending with a space is trimmed
    (either side alone is enough); a value of spaces only is a missing value."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency,pipeline\n"
                    " d1 ,A, 2025-01-05 , open , 100.5 , eur , New business \n"
                    "d2,A,2025-01-05,open,   ,EUR,\n"
                    "d3 ,  B,2025-01-05,open ,1, usd,Renewals \n")
    good, rejects = read_deals(path)
    assert good.select(["deal_id", "company_id", "status", "amount", "currency", "pipeline"]).to_pylist() == [
        {"deal_id": "d1", "company_id": "A", "status": "open", "amount": 100.5, "currency": "EUR",
         "pipeline": "New business"},
        {"deal_id": "d3", "company_id": "B", "status": "open", "amount": 1.0, "currency": "USD",
         "pipeline": "Renewals"}]
    assert str(good["created_at"][0]) == "2025-01-05 00:00:00"
    assert reject_lines(rejects) == [(3, "missing required field amount")]


def test_timestamps_become_utc_from_their_offset_or_the_reporting_time_zone(tmp_path):
    """In Paris (UTC+1 in January, +2 in July): a time without offset is Paris time; an offset, a Z or a zone
    name says otherwise. An infinite time is no time a deal was created."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency\n"
                    "naive,A,2025-01-05 10:00:00,open,1,EUR\n"
                    "summer,A,2025-07-05 10:00:00,open,1,EUR\n"
                    "offset,A,2025-01-05T10:00:00+02:00,open,1,EUR\n"
                    "zulu,A,2025-01-05T10:00:00Z,open,1,EUR\n"
                    "named,A,2025-01-05 10:00:00 America/New_York,open,1,EUR\n"
                    "date,A,2025-01-05,open,1,EUR\n"
                    "endless,A,infinity,open,1,EUR\n")
    good, rejects = read_deals(path, timezone="Europe/Paris")
    assert {row["deal_id"]: str(row["created_at"]) for row in good.to_pylist()} == {
        "naive": "2025-01-05 09:00:00", "summer": "2025-07-05 08:00:00", "offset": "2025-01-05 08:00:00",
        "zulu": "2025-01-05 10:00:00", "named": "2025-01-05 15:00:00", "date": "2025-01-04 23:00:00"}
    assert reject_lines(rejects) == [(8, "unparseable timestamp in created_at: infinity")]


def test_a_row_breaking_several_rules_names_them_all_and_a_blank_optional_value_loads(tmp_path):
    """Reasons are spelled out only for rows that fail a quick test; those tests must miss no break and keep no
    near miss out: a value of spaces in an optional date is missing, not unparseable."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency,contract_start\n"
                    "m1,A,soon,pending,1,EUR,\n"
                    "m2,A,2025-01-05,open,1,EUR,   \n"
                    "m3,A,2025-01-05,open,1,EUR,2025-13-45\n")
    good, rejects = read_deals(path)
    assert reject_lines(rejects) == [
        (2, "unparseable timestamp in created_at: soon; unknown status: pending (expected open | won | lost)"),
        (4, "unparseable date in contract_start: 2025-13-45")]
    assert good.select(["deal_id", "contract_start"]).to_pylist() == [{"deal_id": "m2", "contract_start": None}]


@pytest.mark.parametrize("key_check_rows", [KEY_CHECK_ROWS, 1])
def test_keys_assumed_unique_are_checked_after_the_last_row(tmp_path, monkeypatch, key_check_rows):
    """Read without counting keys first, a file keeps the promise of unique keys even with several rows missing
    their key (they are rejected for that); a repeated key raises, but only once every good row is written; a key
    shared by a good row and a rejected one repeats too (as when keys are counted first: which row is current is
    no clearer when one of them is broken). With a key check of 1 row at a time, the hashes are checked in three
    slices: a repeat is found in whichever slice it falls."""
    monkeypatch.setattr(reader, "KEY_CHECK_ROWS", key_check_rows)
    path = tmp_path / "deals.csv"
    header = "deal_id,company_id,created_at,status,amount,currency\n"
    path.write_text(header + "d1,A,2025-01-05,open,1,EUR\n,A,2025-01-05,open,2,EUR\n"
                    ",A,2025-01-05,open,3,EUR\nd2,A,2025-01-05,open,4,EUR\n")
    good, rejects = read_deals(path, count_keys=False)
    assert good["deal_id"].to_pylist() == ["d1", "d2"]
    assert reject_lines(rejects) == [(3, "missing required field deal_id"), (4, "missing required field deal_id")]

    con = _reader_connection("UTC")
    for rows, written in (("d1,A,2025-01-05,open,1,EUR\nd2,A,2025-01-05,open,2,EUR\nd1,B,2025-01-05,open,3,EUR\n",
                           [1, 2, 3]),
                          ("d1,A,2025-01-05,open,1,EUR\nd2,A,2025-01-05,open,2,EUR\nd2,B,2025-01-05,open,x,EUR\n",
                           [1, 2])):
        path.write_text(header + rows)
        with ParquetHandoff(tmp_path, not_null=["deal_id"]) as good_rows:
            with pytest.raises(KeyRepeated, match="^deals.csv: a deal_id appears more than once$"):
                list(read_file(con, plan_file(con, path, path.name, KINDS["deals"], count_keys=False), good_rows))
            assert pq.read_table(good_rows.path)["amount"].to_pylist() == written


def test_special_numbers_are_rejected_not_loaded(tmp_path):
    """DuckDB reads NaN, inf and 1e309 (past the largest double) as numbers; loaded, they made every sum NaN or
    infinite (and a NaN payback compared as on target). A negative amount is a number: it loads (a check names it)."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency\n"
                    "d1,A,2025-01-05,open,NaN,EUR\nd2,A,2025-01-05,open,inf,EUR\nd3,A,2025-01-05,open,-Infinity,EUR\n"
                    "d4,A,2025-01-05,open,1e309,EUR\nd5,A,2025-01-05,open,-5,EUR\nd6,A,2025-01-05,open,1e308,EUR\n")
    good, rejects = read_deals(path)
    assert reject_lines(rejects) == [(2, "not a finite number in amount: NaN"),
                                     (3, "not a finite number in amount: inf"),
                                     (4, "not a finite number in amount: -Infinity"),
                                     (5, "not a finite number in amount: 1e309")]
    assert good["amount"].to_pylist() == [-5.0, 1e308]


def test_dates_outside_the_window_and_date_words_are_rejected(tmp_path):
    """The window here is 2000-01-01 to 2030-06-30 (its last day included): 9999-12-31 as "no end" would spread a
    cost over 8,000 years. DuckDB reads the words `epoch` (as 1970-01-01) and `infinity` as dates: a word is no
    date, whatever the window. A real 1970-01-01 is merely outside this window."""
    window = DateWindow(date(2000, 1, 1), date(2030, 6, 30))
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency,contract_start,contract_end\n"
                    "d1,A,2025-01-05,open,1,EUR,2025-01-01,9999-12-31\n"
                    "d2,A,epoch,open,1,EUR,,\n"
                    "d3,A,2025-01-05,open,1,EUR,Infinity,\n"
                    "d4,A,2025-01-05,open,1,EUR,-infinity,\n"
                    "d5,A,1970-01-01,open,1,EUR,,\n"
                    "d6,A,1999-12-31T23:59:59Z,open,1,EUR,,\n"
                    "d7,A,2000-01-01,open,1,EUR,2000-01-01,2030-06-30\n"
                    "d8,A,2030-06-30T23:59:59Z,open,1,EUR,,2030-07-01\n")
    good, rejects = read_deals(path, date_window=window)
    expected = " (expected 2000-01-01 to 2030-06-30: PAYBACK_MIN_DATE, PAYBACK_MAX_FUTURE_YEARS)"
    assert reject_lines(rejects) == [
        (2, f"date out of range in contract_end: 9999-12-31{expected}"),
        (3, "unparseable timestamp in created_at: epoch"),
        (4, "unparseable date in contract_start: Infinity"),
        (5, "unparseable date in contract_start: -infinity"),
        (6, f"timestamp out of range in created_at: 1970-01-01{expected}"),
        (7, f"timestamp out of range in created_at: 1999-12-31T23:59:59Z{expected}"),
        (9, f"date out of range in contract_end: 2030-07-01{expected}")]
    assert good["deal_id"].to_pylist() == ["d7"]


def test_a_real_1970_01_01_loads_when_the_window_allows_it(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency\n"
                    "d1,A,1970-01-01,open,1,EUR\nd2,A,epoch,open,1,EUR\n")
    good, rejects = read_deals(path, date_window=DateWindow(date(1900, 1, 1), date(2100, 1, 1)))
    assert reject_lines(rejects) == [(3, "unparseable timestamp in created_at: epoch")]
    assert good["deal_id"].to_pylist() == ["d1"]


def test_currency_codes_are_checked_against_iso_4217(tmp_path):
    """Three capital letters are not enough: XYZ and the withdrawn HRK have no rate anyone publishes. Codes are
    compared upper-case (a lower-case `usd` is USD)."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,company_id,created_at,status,amount,currency\n"
                    "d1,A,2025-01-05,open,1,XYZ\nd2,A,2025-01-05,open,1,usd\nd3,A,2025-01-05,open,1,HRK\n"
                    "d4,A,2025-01-05,open,1,CHF\nd5,A,2025-01-05,open,1,E U\n")
    good, rejects = read_deals(path)
    assert reject_lines(rejects) == [(2, "unknown currency in currency: XYZ (not an ISO 4217 code)"),
                                     (4, "unknown currency in currency: HRK (not an ISO 4217 code)"),
                                     (6, "unknown currency in currency: E U (not an ISO 4217 code)")]
    assert good["currency"].to_pylist() == ["USD", "CHF"]

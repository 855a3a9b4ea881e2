"""Bad files: whatever one file holds (a bad row, a broken encoding, a special number, an absurd date), the rest of
it and every other file load, and what was refused is in raw_exports.rejects with the real line and cause."""

import os
import random
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.config import ConfigError, Settings
from pipelines.dlt_errors import wrapped_error
from pipelines.exports.contract import KINDS, DateWindow
from pipelines.exports.handoff import ParquetHandoff
from pipelines.exports.reader import plan_file, read_file
from pipelines.exports.source import ExportsFolderUnreadable, _reader_connection, sync_exports
from pipelines.raw_assets import make_pipeline
from tests.conftest import Project

DEALS_HEADER = "deal_id,company_id,created_at,status,amount,currency,updated_at\n"


class Sync:
    """The export source alone, synced into its own DuckDB file as the raw asset syncs it (no transforms): what
    a bad file does to the raw tables."""

    def __init__(self, root: Path, **env: str):
        self.project = Project(root, **env)
        self.exports = self.project.exports
        self.messages: list[str] = []

    def write(self, name: str, text: str) -> Path:
        path = self.exports / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def run(self):
        settings = self.project.settings
        pipeline = make_pipeline(settings, "payback_exports", "raw_exports")

        def run(source):
            return pipeline.run(source).raise_on_failed_jobs()

        sync_exports(run, self.messages.append, settings.exports_dir, settings.reporting_timezone,
                     settings.export_date_window)
        return pipeline

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.project.settings.duckdb_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def rejects(self) -> list[tuple]:
        return self.query("SELECT file, line, reason FROM raw_exports.rejects ORDER BY file, line")


@pytest.mark.parametrize("bad_file", ["deals_2025-03.csv", "deals.csv"])
@pytest.mark.parametrize("bad_row,reason", [
    (",A,2025-01-05,open,1,EUR,\n", "missing required field deal_id"),
    ("d9,A,2025-01-05,open,1,EUR,\nd9,A,2025-01-05,open,2,EUR,\n",
     "duplicate deal_id d9: 2 rows and no later updated_at to tell which is current"),
])
def test_a_bad_row_in_one_of_two_files_of_a_kind_rejects_that_row_only(tmp_path, bad_file, bad_row, reason):
    """Two files of one kind (the README's own naming), a bad row in either of them, in either order: the good
    rows of both load and the bad row is rejected with its line. (Before, the first file's load settings leaked
    into the rejects of the second, and the whole sync failed.)"""
    good_file = "deals.csv" if bad_file != "deals.csv" else "deals_2025-03.csv"
    sync = Sync(tmp_path)
    sync.write(good_file, DEALS_HEADER + "d1,A,2025-01-05,open,1,EUR,\n")
    sync.write(bad_file, DEALS_HEADER + "d2,A,2025-01-05,open,1,EUR,\n" + bad_row)
    sync.run()
    assert sync.query("SELECT deal_id FROM raw_exports.deals ORDER BY 1") == [("d1",), ("d2",)]
    lines = range(3, 3 + bad_row.count("\n"))
    assert sync.rejects() == [(bad_file, line, reason) for line in lines]


def test_a_file_level_reject_in_the_second_file_of_a_kind_leaves_the_first_loading(tmp_path):
    sync = Sync(tmp_path)
    sync.write("deals.csv", DEALS_HEADER + "d1,A,2025-01-05,open,1,EUR,\n")
    sync.write("deals_2025-03.csv", "deal_id,amount\nd2,1\n")
    sync.run()
    assert sync.query("SELECT deal_id FROM raw_exports.deals") == [("d1",)]
    assert sync.rejects() == [("deals_2025-03.csv", None,
                               "missing required column(s): created_at, status, currency, company_id or contact_id")]


def test_the_date_window_comes_from_the_settings_and_keeps_placeholder_dates_out_of_the_marts(tmp_path):
    """A cost that ends 9999-12-31 ("no end") was spread over 8,000 years of periods. With PAYBACK_AS_OF
    2025-06-30 and 5 future years the window is 2020-01-01 to 2030-06-30: that cost is rejected, naming the
    settings, and no period of the marts lies past the window (the window is the one the Dagster asset uses)."""
    project = Project(tmp_path, PAYBACK_AS_OF="2025-06-30", PAYBACK_MIN_DATE="2020-01-01",
                      PAYBACK_MAX_FUTURE_YEARS="5")
    project.write("costs.csv", """
        cost_id,start_date,end_date,team,category,amount,currency
        k1,2025-03-01,2025-03-31,sales,salaries,1000,EUR
        k2,2025-01-01,9999-12-31,sales,tools,50,EUR
    """)
    project.run()
    assert project.query("SELECT line, reason FROM raw_exports.rejects") == [
        (3, "date out of range in end_date: 9999-12-31 (expected 2020-01-01 to 2030-06-30: PAYBACK_MIN_DATE, "
            "PAYBACK_MAX_FUTURE_YEARS)")]
    assert project.one("SELECT count(*) FROM marts.cac WHERE period_start > DATE '2030-06-30'") == (0,)


@pytest.mark.parametrize("env,message", [
    ({"PAYBACK_MIN_DATE": "1990"}, "PAYBACK_MIN_DATE='1990' is not a date (YYYY-MM-DD)"),
    ({"PAYBACK_MIN_DATE": "2026-01-01", "PAYBACK_AS_OF": "2025-06-30"},
     "PAYBACK_MIN_DATE='2026-01-01' is after the as-of date 2025-06-30 (PAYBACK_AS_OF)"),
    ({"PAYBACK_MAX_FUTURE_YEARS": "ten"}, "PAYBACK_MAX_FUTURE_YEARS='ten' is not a whole number"),
    ({"PAYBACK_MAX_FUTURE_YEARS": "-1"}, "PAYBACK_MAX_FUTURE_YEARS='-1' must be between 0 and 1000"),
])
def test_a_bad_date_window_setting_is_named(env, message):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value) == message


def test_the_date_window_defaults_to_1990_and_ten_years_after_the_as_of_date():
    assert Settings.from_env({"PAYBACK_AS_OF": "2024-02-29"}).export_date_window == DateWindow(
        date(1990, 1, 1), date(2034, 2, 28))


def test_one_version_of_a_record_with_different_values_in_two_files_is_rejected_in_both(tmp_path):
    """d1 has the same updated_at in both files but another amount: which is current cannot be told, so both rows
    are rejected (as two such rows in one file are). d2 is in both files with the same values: the same record
    exported twice, loaded once. d3 has a later updated_at in the second file: the later one wins. The sync says
    it read the files again."""
    sync = Sync(tmp_path)
    sync.write("deals.csv", DEALS_HEADER + "d1,A,2025-01-05,open,100,EUR,2025-02-01\n"
                                           "d2,A,2025-01-05,open,7,EUR,2025-02-01\n"
                                           "d3,A,2025-01-05,open,1,EUR,2025-02-01\n")
    sync.write("deals_2025-03.csv", DEALS_HEADER + "d3,A,2025-01-05,open,2,EUR,2025-03-01\n"
                                                   "d2,A,2025-01-05,open,7,EUR,2025-02-01\n"
                                                   "d1,A,2025-01-05,open,999,EUR,2025-02-01\n")
    sync.run()
    assert sync.query("SELECT deal_id, amount FROM raw_exports.deals ORDER BY 1") == [("d2", 7.0), ("d3", 2.0)]
    reason = ("duplicate deal_id d1: different values in deals.csv and deals_2025-03.csv and no later updated_at "
              "to tell which is current")
    assert sync.rejects() == [("deals.csv", 2, reason), ("deals_2025-03.csv", 4, reason)]
    assert sync.messages == ["deals: two files hold one deal_id with the same updated_at and different values; "
                             "reading the changed files again, their keys counted first"]


def _file_state(pipeline, kind: str, relative: str):
    """What the sync recorded of a file: [size, mtime_ns, rows rejected]."""
    return pipeline.state["sources"]["exports"]["resources"][kind]["files"].get(relative)


def test_an_unreadable_exports_folder_fails_the_sync_naming_it(tmp_path):
    """Root reads any folder, so the folder here is a file: listing it fails just as a folder without read
    permission does (see the next test), and the sync fails with its path, instead of loading nothing."""
    sync = Sync(tmp_path)
    sync.exports.rmdir()
    sync.exports.write_text("not a folder")
    with pytest.raises(Exception) as failure:
        sync.run()
    assert wrapped_error(failure.value, ExportsFolderUnreadable).args == (
        f"cannot read the exports folder {sync.exports}: Not a directory",)


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_a_folder_without_read_permission_fails_the_sync_naming_it(tmp_path):
    sync = Sync(tmp_path)
    sync.write("deals.csv", DEALS_HEADER + "d1,A,2025-01-05,open,1,EUR,\n")
    locked = sync.exports / "2025"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(Exception) as failure:
            sync.run()
    finally:
        locked.chmod(0o755)
    assert wrapped_error(failure.value, ExportsFolderUnreadable).args == (
        f"cannot read the exports folder {locked}: Permission denied",)


def test_a_file_that_cannot_be_read_is_rejected_and_read_again_once_it_can(tmp_path):
    """A link to a file not there yet (root reads anything else): rejected by name, the other files load, and it
    is not recorded as read, so the next sync reads it once its target exists. A pipe is reported, never opened
    (reading one would wait for a writer)."""
    sync = Sync(tmp_path)
    sync.write("deals.csv", DEALS_HEADER + "d1,A,2025-01-05,open,1,EUR,\n")
    target = tmp_path / "elsewhere" / "deals.csv"
    (sync.exports / "deals_2025-03.csv").symlink_to(target)
    os.mkfifo(sync.exports / "deals_pipe.csv")
    pipeline = sync.run()
    assert sync.query("SELECT deal_id FROM raw_exports.deals") == [("d1",)]
    assert sync.rejects() == [
        ("deals_2025-03.csv", None, "cannot read the file: No such file or directory"),
        ("deals_pipe.csv", None, "not a regular file (a pipe, a socket or a device): copy the export in as a file")]
    assert _file_state(pipeline, "deals", "deals_2025-03.csv") == [None, None, 1]

    target.parent.mkdir()
    target.write_text(DEALS_HEADER + "d2,A,2025-01-05,open,1,EUR,\n")
    (sync.exports / "deals_pipe.csv").unlink()
    sync.run()
    assert sync.query("SELECT deal_id FROM raw_exports.deals ORDER BY 1") == [("d1",), ("d2",)]
    assert sync.rejects() == []


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_a_file_without_read_permission_is_read_again_once_it_can_be_with_the_same_size_and_time(tmp_path):
    sync = Sync(tmp_path)
    locked = sync.write("deals.csv", DEALS_HEADER + "d1,A,2025-01-05,open,1,EUR,\n")
    locked.chmod(0)
    sync.run()
    assert sync.rejects() == [("deals.csv", None, "cannot read the file: Permission denied")]
    locked.chmod(0o644)  # size and modification time unchanged
    sync.run()
    assert sync.query("SELECT deal_id FROM raw_exports.deals") == [("d1",)]
    assert sync.rejects() == []


def read_export(path: Path, kind: str, count_keys: bool = True) -> tuple[list[dict], list[tuple]]:
    """A file read straight through the reader: its good rows and its rejects as (line, reason, raw_row)."""
    con = _reader_connection("UTC")
    with ParquetHandoff(path.parent, not_null=KINDS[kind].primary_key) as good_rows:
        plan = plan_file(con, path, path.name, KINDS[kind], count_keys, scratch=path.parent)
        rejects = [row for table in read_file(con, plan, good_rows)
                   for row in zip(*(table[c].to_pylist() for c in ("line", "reason", "raw_row")), strict=True)]
        return (pq.read_table(good_rows.path).to_pylist() if good_rows.rows else []), rejects


COMPANIES = ["company_id,name,country"] + [f"c{n},Société Générale n°{n} – Crème brûlée,FR" for n in range(1, 1101)]


def test_a_windows_1252_file_is_read_with_its_accents(tmp_path):
    """Excel's "CSV" on a Western Windows: every row was rejected ("CSV Error on Line: 2")."""
    path = tmp_path / "companies.csv"
    path.write_bytes(("\r\n".join(COMPANIES) + "\r\n").encode("cp1252"))
    good, rejects = read_export(path, "companies")
    assert rejects == []
    assert len(good) == 1_100
    assert good[6]["name"] == "Société Générale n°7 – Crème brûlée"


def test_an_excel_unicode_text_file_is_read(tmp_path):
    """Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated, CRLF. It was rejected whole ("Error
    when sniffing file"). A row rejected in it names its own line."""
    lines = [line.replace(",", "\t") for line in COMPANIES] + ["\tÜber Straße\tDE"]
    path = tmp_path / "companies.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-16"))
    good, rejects = read_export(path, "companies")
    assert [(line, reason) for line, reason, _ in rejects] == [(1_102, "missing required field company_id")]
    assert len(good) == 1_100
    assert (good[0]["company_id"], good[0]["name"]) == ("c1", "Société Générale n°1 – Crème brûlée")


def test_a_file_in_no_encoding_we_read_is_rejected_saying_which_to_save_as(tmp_path):
    """Byte 0x81 is in neither UTF-8 nor Windows-1252."""
    path = tmp_path / "companies.csv"
    path.write_bytes(b"company_id,name\nc1,A\x81B\n")
    assert read_export(path, "companies") == ([], [
        (None, "not UTF-8, and not Windows-1252 either: save the file as UTF-8", None)])


def test_a_10_mb_value_rejects_its_row_only_naming_its_line(tmp_path):
    """A value of 10 MB (a quote left open swallows the lines after it the same way) failed the whole file with
    "CSV Error on Line: 1". Now its row, line 501, is rejected, with its raw row cut to 10,000 characters; the
    other 1,099 rows load."""
    lines = list(COMPANIES)
    lines[500] = "c500," + "x" * 10_000_000 + ",FR"
    path = tmp_path / "companies.csv"
    path.write_text("\n".join(lines) + "\n")
    good, [(line, reason, raw_row)] = read_export(path, "companies")
    assert (line, reason) == (501, "value of 10000000 bytes in name (at most 1,000,000): a quote left open, or no "
                                   "export field")
    assert raw_row.startswith('{"company_id":"c500","name":"xxx') and len(raw_row) == 10_001
    assert raw_row.endswith("x…")
    assert len(good) == 1_099


@pytest.mark.parametrize("count_keys", [True, False])
def test_a_file_that_stops_being_utf_8_past_the_sample_is_rejected_naming_the_line(tmp_path, count_keys):
    """The encoding is told from the start of the file. A Windows-1252 byte on line 50,001 stops DuckDB there:
    the file is rejected (no row of it half-loaded), naming that line and what to do, instead of failing the sync."""
    lines = ["company_id,name,employees"] + [f"c{n},Name {n},{n}" for n in range(1, 100_001)]
    lines[50_000] = "c50000,Soci\xe9t\xe9,1"
    path = tmp_path / "companies.csv"
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    good, rejects = read_export(path, "companies", count_keys)
    assert good == []
    assert [(line, reason) for line, reason, _ in rejects] == [
        (None, "line 50,001: not UTF-8, though the start of the file is: save the file as UTF-8; no row of the file "
               "was loaded")]


def test_a_file_that_is_no_csv_is_rejected_with_the_cause_not_duckdbs_search_space(tmp_path):
    """Random bytes, none outside Windows-1252."""
    path = tmp_path / "companies.csv"
    path.write_bytes(bytes(b for b in random.Random(7).randbytes(4000) if b not in b"\x81\x8d\x8f\x90\x9d"))
    assert read_export(path, "companies") == ([], [
        (None, "no CSV dialect found (delimiter, quote, columns): save the file as CSV with a header row, in UTF-8 "
               "or UTF-16", None)])


def _amounts(tmp_path: Path, delimiter: str, amounts: list[str]) -> tuple[dict[str, float], list[tuple]]:
    """Deals with these amounts, one a row (d0, d1, …), in a file with this delimiter: amounts read, rejects."""
    rows = [delimiter.join(["deal_id", "company_id", "created_at", "status", "amount", "currency"])]
    rows += [delimiter.join([f"d{n}", "A", "2025-01-05", "open", amount, "EUR"]) for n, amount in enumerate(amounts)]
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(rows) + "\n")
    good, rejects = read_export(path, "deals")
    return {row["deal_id"]: row["amount"] for row in good}, [(line, reason) for line, reason, _ in rejects]


def test_a_semicolon_separated_file_is_read_with_a_decimal_comma(tmp_path):
    """As Excel writes a CSV where the comma is the decimal mark: `;` between values, `,` before the decimals, and a
    point, a space, a no-break space or a narrow no-break space between thousands. These were all rejected as
    "unparseable number". 1.234 alone could be either (a thousands point, or a decimal point in a file that uses
    one): rejected, saying so, never guessed; 152.40 has a point that cannot separate thousands."""
    amounts, rejects = _amounts(tmp_path, ";", ["20478,48", "1.234,50", "1 234,50", "1\u00a0234,5", "1\u202f234",
                                                "1,234", "1.234.567", "-3,5", "152.40", "1.234", "12abc"])
    assert amounts == {"d0": 20478.48, "d1": 1234.5, "d2": 1234.5, "d3": 1234.5, "d4": 1234.0, "d5": 1.234,
                       "d6": 1234567.0, "d7": -3.5, "d8": 152.4}
    assert rejects == [(11, "unparseable number in amount: 1.234 (a thousands separator, or a decimal mark? in a "
                            ";-separated file write 1234 or 1,234)"),
                       (12, "unparseable number in amount: 12abc")]


def test_a_comma_separated_file_reads_quoted_thousands_commas_and_refuses_to_guess(tmp_path):
    """A quoted "1,234.50" has a thousands comma; "20478,48" can only have a decimal comma; "1,234" could be
    either in a file whose decimal mark is the point: rejected, saying so. 1.234 is one point two three four."""
    amounts, rejects = _amounts(tmp_path, ",", ['"1,234.50"', '"1,234,567"', '"20478,48"', '"1 234.5"', "1.234",
                                                '"1,234"'])
    assert amounts == {"d0": 1234.5, "d1": 1234567.0, "d2": 20478.48, "d3": 1234.5, "d4": 1.234}
    assert rejects == [(7, "unparseable number in amount: 1,234 (a thousands separator, or a decimal mark? in a "
                           ",-separated file write 1234 or 1.234)")]

"""Bad files: whatever one file holds (a bad row, a broken encoding, a special number, an absurd date), the rest of
it and every other file load, and what was refused is in raw_exports.rejects with the real line and cause."""

import os
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.config import ConfigError, Settings
from pipelines.exports.contract import DateWindow
from pipelines.dlt_errors import wrapped_error
from pipelines.exports.source import ExportsFolderUnreadable, sync_exports
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

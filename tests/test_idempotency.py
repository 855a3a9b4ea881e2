"""Re-running never double-counts: a second run changes nothing, a re-exported record replaces the old one. Running
twice, and the rows a sync loaded (a materialization's metadata), are asked of real Dagster runs."""

import logging

from pipelines.warehouse import dlt_working_dir
from tests.conftest import MARTS, Project

DEALS = """
    deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
    d1,A,2025-01-05,won,2025-01-20,100,EUR,2025-01-20
    d2,B,2025-01-06,open,,250,EUR,2025-01-06
"""


def snapshot(project: Project) -> dict[str, list]:
    return {mart: project.query(f"SELECT * FROM marts.{mart} ORDER BY ALL") for mart in MARTS}


def test_running_twice_gives_identical_marts(tmp_path):
    project = Project(tmp_path)
    project.write("deals.csv", DEALS)
    project.write("contacts.csv", "contact_id,created_at,company_id\nc1,2025-01-02,A\nc2,2025-01-03,B")
    project.run_dagster()
    first = snapshot(project)
    project.run_dagster()
    assert snapshot(project) == first
    assert project.one("SELECT count(*) FROM raw_exports.deals") == (2,)


def test_reexported_updated_deal_replaces_the_old_one(tmp_path):
    project = Project(tmp_path)
    project.write("deals.csv", DEALS)
    project.run()
    # A later export in its own file: d2 is now won; the latest updated_at wins, nothing is duplicated.
    project.write("deals_2025-02.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
        d2,B,2025-01-06,won,2025-02-03,300,EUR,2025-02-03
    """)
    project.run()
    assert project.query("SELECT deal_id, status, amount FROM staging.deals ORDER BY 1") == [
        ("d1", "won", 100), ("d2", "won", 300)]
    assert project.one("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                       "AND period_start = '2025-01-01'") == (2,)


def test_latest_updated_at_wins_within_one_load(tmp_path):
    project = Project(tmp_path)
    project.write("deals/part-1.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
        d1,A,2025-01-05,open,,100,EUR,2025-01-05
        d1,A,2025-01-05,won,2025-01-20,120,EUR,2025-01-20T10:00:00Z
    """)
    project.write("deals/part-2.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
        d1,A,2025-01-05,open,,110,EUR,2025-01-10
    """)
    project.run()
    assert project.query("SELECT status, amount FROM staging.deals") == [("won", 120)]


def test_latest_updated_at_wins_in_a_merge_after_an_appended_first_load(tmp_path):
    """A first load of unique keys is appended, without dlt's `dedup_sort` hint; the merge that follows must still
    order a repeated key by `updated_at`."""
    project = Project(tmp_path)
    project.write("deals.csv", DEALS)
    project.run()
    project.write("deals_2025-02.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
        d2,B,2025-01-06,open,,250,EUR,2025-02-01
        d2,B,2025-01-06,won,2025-02-03,300,EUR,2025-02-03
    """)
    project.run()
    assert project.query("SELECT deal_id, status, amount FROM staging.deals ORDER BY 1") == [
        ("d1", "won", 100), ("d2", "won", 300)]


def test_unchanged_files_are_not_read_again(tmp_path):
    project = Project(tmp_path)
    path = project.write("deals.csv", DEALS)
    project.run()
    # Corrupt the file but keep its size and modification time: an unchanged fingerprint is never re-read.
    stat = path.stat()
    path.write_text(path.read_text().replace("EUR", "XXX"))
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = project.run_dagster()
    rows_loaded = [e.materialization.metadata.get("rows_loaded") for e in result.get_asset_materialization_events()
                   if e.asset_key.path == ["raw_exports", "deals"]]
    assert [getattr(v, "value", v) or 0 for v in rows_loaded] == [0]
    assert project.query("SELECT DISTINCT currency FROM staging.deals") == [("EUR",)]


def test_a_file_with_a_repeated_key_is_read_again_and_each_row_lands_once(tmp_path, caplog):
    """Files are read once, their keys assumed unique (a first load is then appended) and checked as they stream.
    deals.csv breaks the assumption (d1 twice, d3 twice with one updated_at): that extraction is thrown away and
    the sync runs again with keys counted first. By hand: d1 keeps its later version (won, 120), d2 loads, both
    d3 rows (lines 5 and 6) are rejected once each; contacts.csv, whose keys are unique, is never re-read."""
    project = Project(tmp_path)
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency,updated_at
        d1,A,2025-01-05,open,,100,EUR,2025-01-05
        d2,B,2025-01-06,open,,250,EUR,2025-01-06
        d1,A,2025-01-05,won,2025-01-20,120,EUR,2025-01-20
        d3,C,2025-01-07,open,,50,EUR,2025-01-07
        d3,C,2025-01-07,open,,60,EUR,2025-01-07
    """)
    project.write("contacts.csv", "contact_id,created_at,company_id\nc1,2025-01-02,A\nc2,2025-01-03,B")
    with caplog.at_level(logging.INFO, logger="payback.progress"):
        project.run()
    assert [r.message for r in caplog.records if "more than once" in r.message] == [
        "deals.csv: a deal_id appears more than once; reading the changed files again, their keys counted first"]
    duplicate = "duplicate deal_id d3: 2 rows and no later updated_at to tell which is current"
    for _ in range(2):  # and a second sync, of unchanged files, changes nothing
        assert project.query("SELECT deal_id, status, amount FROM raw_exports.deals ORDER BY 1") == [
            ("d1", "won", 120), ("d2", "open", 250)]
        assert project.query("SELECT file, line, reason FROM raw_exports.rejects ORDER BY line") == [
            ("deals.csv", 5, duplicate), ("deals.csv", 6, duplicate)]
        assert project.one("SELECT count(*) FROM raw_exports.contacts") == (2,)
        project.run()


def test_a_sync_keeps_no_copy_of_the_rows_it_loaded(tmp_path):
    project = Project(tmp_path)
    project.write("deals.csv", DEALS)
    project.run()
    project.write("deals.csv", DEALS.replace("250,EUR,2025-01-06", "300,EUR,2025-01-08"))
    project.run()
    # dlt's working folder beside the database keeps each load's record, but not the files its rows came in.
    working_dir = dlt_working_dir(project.settings.duckdb_path)
    assert list(working_dir.glob("*/load/loaded/*/load_package_state.json"))
    assert not list(working_dir.glob("*/load/loaded/*/completed_jobs/*"))
    assert project.one("SELECT amount FROM raw_exports.deals WHERE deal_id = 'd2'") == (300,)

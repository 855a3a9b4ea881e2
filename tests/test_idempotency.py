"""Re-running never double-counts: a second run changes nothing, a re-exported record replaces the old one."""

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
    project.run()
    first = snapshot(project)
    project.run()
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
    result = project.run()
    rows_loaded = [e.materialization.metadata.get("rows_loaded") for e in result.get_asset_materialization_events()
                   if e.asset_key.path == ["raw_exports", "deals"]]
    assert [getattr(v, "value", v) or 0 for v in rows_loaded] == [0]
    assert project.query("SELECT DISTINCT currency FROM staging.deals") == [("EUR",)]

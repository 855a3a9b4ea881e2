"""`payback run` rebuilds what changed and nothing else: a run with nothing new rebuilds no table and says so, a
changed export file rebuilds what reads it, a changed setting rebuilds every table, `--full` rebuilds all, and a
table missing from the database is rebuilt whatever Dagster remembers."""

import shutil

import pytest
from dagster import DagsterEventType, DagsterInstance

from pipelines.cli import main
from tests.conftest import Project

DEALS = """
    deal_id,company_id,created_at,status,closed_at,amount,currency
    d1,A,2025-01-05,won,2025-01-20,100,EUR
    d2,B,2025-01-07,won,2025-01-25,300,EUR
"""
SPEND = """
    date,platform,campaign_id,spend,currency
    2025-01-10,google_ads,g1,50,EUR
"""


def use(root, monkeypatch) -> Project:
    """The project in `root`, as the environment of `payback` and of Dagster's instance."""
    project = Project(root, PAYBACK_AS_OF="2025-06-30")
    for name, value in {"PAYBACK_DUCKDB_PATH": str(project.settings.duckdb_path),
                        "PAYBACK_EXPORTS_DIR": str(project.exports), "PAYBACK_AS_OF": "2025-06-30",
                        "DAGSTER_HOME": str(root / "dagster_home")}.items():
        monkeypatch.setenv(name, value)
    return project


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A project after its first `payback run`: built once, copied for each test (database, dlt's folder, Dagster's
    history and the exports, their modification times included)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        project = use(tmp_path_factory.mktemp("first_run"), monkeypatch)
        project.write("deals.csv", DEALS)
        project.write("ad_spend.csv", SPEND)
        assert main(["run"]) == 0
    return project.root


@pytest.fixture
def project(first_run, tmp_path, monkeypatch):
    shutil.copytree(first_run, tmp_path / "project")
    return use(tmp_path / "project", monkeypatch)


def run(*args: str) -> set[str]:
    """`payback run` with `args`; the assets its Dagster runs materialized."""
    with DagsterInstance.get() as instance:
        before = {run.run_id for run in instance.get_runs()}
    assert main(["run", *args]) == 0
    with DagsterInstance.get() as instance:
        runs = [run.run_id for run in instance.get_runs() if run.run_id not in before]
        records = [record for run_id in runs for record in instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records]
    return {record.event_log_entry.dagster_event.asset_key.to_user_string() for record in records}


def built_tables(keys: set[str]) -> set[str]:
    return {key for key in keys if not key.startswith("raw_")}


def every_built_table() -> set[str]:
    from pipelines.config import Settings
    from pipelines.definitions import build_definitions

    keys = build_definitions(Settings.from_env()).resolve_asset_graph().get_all_asset_keys()
    return built_tables({key.to_user_string() for key in keys})


def test_a_run_with_nothing_new_rebuilds_no_table_and_says_so(project, capsys):
    capsys.readouterr()
    assert built_tables(run()) == set()
    out = capsys.readouterr().out
    assert "Nothing changed since the last run: no table rebuilt" in out
    # The checks' findings are those of the tables as they stand.
    assert "Checks: " in out and ", 0 ERROR" in out


def test_a_changed_spend_file_rebuilds_what_reads_spend_and_not_the_deals(project):
    """The spend of January goes from 50 to 80: CAC of 2025-01 (2 new customers) goes from 25 to 40."""
    project.write("ad_spend.csv", SPEND.replace(",50,", ",80,"))
    rebuilt = built_tables(run())
    assert {"staging/exports_spend", "staging/spend", "marts/cac", "marts/unit_economics"} <= rebuilt
    assert not {"staging/exports_deals", "staging/deals", "staging/exports_contacts"} & rebuilt
    assert project.one("SELECT paid_spend, new_customers, cac FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = '2025-01-01'") == (80, 2, 40)


def test_a_changed_setting_rebuilds_every_table(project, monkeypatch):
    monkeypatch.setenv("GROSS_MARGIN", "0.5")
    assert built_tables(run()) == every_built_table()
    assert project.one("SELECT gross_margin FROM marts.build_info") == (0.5,)


def test_full_rebuilds_every_table_even_unchanged(project):
    assert built_tables(run("--full")) == every_built_table()


def test_a_table_missing_from_the_database_is_rebuilt(project):
    """Dagster remembers marts.cac as built, but the database lost it: the next run builds it again."""
    import duckdb

    with duckdb.connect(str(project.settings.duckdb_path)) as con:
        con.execute("DROP TABLE marts.cac")
    rebuilt = built_tables(run())
    assert "marts/cac" in rebuilt and "staging/deals" not in rebuilt
    assert project.one("SELECT cac FROM marts.cac WHERE period_grain = 'month' AND period_start = '2025-01-01'"
                       ) == (25,)


def test_selecting_a_table_rebuilds_it_and_what_reads_it(project):
    rebuilt = built_tables(run("--select", "marts/cac"))
    assert {"marts/cac", "marts/unit_economics", "marts/build_info"} <= rebuilt
    assert not {"staging/deals", "marts/ltv"} & rebuilt


def test_the_exports_sensor_asks_for_a_run_exactly_when_the_folder_differs_from_what_was_loaded(project):
    """After a run the sensor has nothing to ask (the first tick after `make ui` included). The spend file moved
    out: a run. Loaded, then moved back in: a run again, under a new run key (not taken for the first one)."""
    from dagster import build_sensor_context

    from pipelines.config import Settings
    from pipelines.definitions import build_definitions

    defs = build_definitions(Settings.from_env())
    sensor = defs.resolve_sensor_def("exports_changed")

    def tick():
        with DagsterInstance.get() as instance:
            return sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))

    assert tick().run_requests == [] and "holds what the last sync loaded" in tick().skip_message
    spend = project.exports / "ad_spend.csv"
    moved = spend.rename(project.root / "ad_spend.csv")
    first = tick().run_requests
    assert len(first) == 1
    assert first[0].run_key == tick().run_requests[0].run_key  # a tick before the sync asks for the same run
    run()
    assert tick().run_requests == []
    moved.rename(spend)
    again = tick().run_requests
    assert len(again) == 1 and again[0].run_key != first[0].run_key


def test_a_scheduled_sync_is_followed_by_a_rebuild_of_what_it_changed(project):
    """The daily schedule only syncs; the rebuild_stale sensor then asks for the tables downstream of what changed
    (the spend, not the deals), once, and for nothing after that rebuild."""
    from dagster import build_sensor_context

    from pipelines.config import Settings
    from pipelines.definitions import build_definitions
    from pipelines.local_run import execute

    defs = build_definitions(Settings.from_env())
    sensor = defs.resolve_sensor_def("rebuild_stale")
    sync = defs.resolve_job_def(defs.resolve_schedule_def("daily_refresh").job_name)
    assert all(key.path[0].startswith("raw_") for key in sync.asset_layer.selected_asset_keys)

    def tick():
        with DagsterInstance.get() as instance:
            return sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))

    assert tick().run_requests == [] and "up to date" in tick().skip_message
    project.write("ad_spend.csv", SPEND.replace(",50,", ",80,"))
    with DagsterInstance.get() as instance:
        assert execute(sync, instance, None, {}).success
    request, = tick().run_requests
    rebuilt = {key.to_user_string() for key in request.asset_selection}
    assert {"staging/exports_spend", "staging/spend", "marts/cac"} <= rebuilt
    assert not {"staging/deals", "raw_exports/ad_spend"} & rebuilt
    assert tick().run_requests[0].run_key == request.run_key  # a tick before that run asks for the same one
    with DagsterInstance.get() as instance:
        assert execute(defs.resolve_job_def(sensor.job_name), instance, request.asset_selection, {}).success
    assert tick().run_requests == []
    assert project.one("SELECT cac FROM marts.cac WHERE period_grain = 'month' AND period_start = '2025-01-01'"
                       ) == (40,)


def test_the_rebuild_sensor_builds_nothing_on_a_source_never_synced(tmp_path, monkeypatch):
    """A new project under `make ui`: the exports were never synced, so the tables reading them cannot be built
    yet; the sensor waits for the sync instead of starting a run that would fail."""
    from dagster import build_sensor_context

    from pipelines.config import Settings
    from pipelines.definitions import build_definitions

    use(tmp_path, monkeypatch).write("deals.csv", DEALS)
    (tmp_path / "dagster_home").mkdir()
    defs = build_definitions(Settings.from_env())
    with DagsterInstance.get() as instance:
        result = defs.resolve_sensor_def("rebuild_stale").evaluate_tick(
            build_sensor_context(instance=instance, definitions=defs))
    assert result.run_requests == []
    assert "never synced" in result.skip_message and "raw_exports/deals" in result.skip_message

"""The `payback` command: configuration errors, read-only queries, summary."""

import json
import subprocess
import sys

import pytest

from pipelines.cli import main
from pipelines.config import ConfigError, Settings
from tests.conftest import Project


@pytest.mark.parametrize("variable,value", [
    ("REPORTING_CURRENCY", "EURO"), ("REPORTING_TIMEZONE", "Mars/Olympus"), ("FISCAL_YEAR_START_MONTH", "13"),
    ("ACTIVE_WINDOW_DAYS", "soon"), ("GROSS_MARGIN", "1.5"), ("LTV_CAC_TARGET", "0"),
    ("PAYBACK_TARGET_MONTHS", "-1"), ("OVERHEAD_ALLOCATION", "magic"),
])
def test_bad_configuration_is_refused_naming_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_cli_refuses_bad_configuration_at_start(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "pipelines.cli", "summary"], cwd=tmp_path,
                               env={"PATH": "", "GROSS_MARGIN": "lots"}, capture_output=True, text=True)
    assert completed.returncode != 0
    assert "GROSS_MARGIN='lots'" in completed.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("cli"))
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        d1,A,2025-01-05,won,2025-01-20,100,EUR
    """)
    project.run()
    return project


@pytest.fixture
def env(built, monkeypatch):
    monkeypatch.setenv("PAYBACK_DUCKDB_PATH", str(built.settings.duckdb_path))
    monkeypatch.setenv("PAYBACK_EXPORTS_DIR", str(built.exports))
    return built


def test_query_prints_csv_and_json(env, capsys):
    assert main(["query", "select deal_id, amount from staging.deals", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["deal_id,amount", "d1,100.0"]
    assert main(["query", "select deal_id from staging.deals", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"deal_id": "d1"}]


@pytest.mark.parametrize("sql", ["drop table marts.cac", "delete from staging.deals",
                                 "create table x as select 1", "selec 1", "select * from nowhere"])
def test_query_refuses_writes_and_bad_sql_with_exit_code_2(env, capsys, sql):
    assert main(["query", sql]) == 2
    error = capsys.readouterr().err
    assert error.startswith("payback query: ") and len(error.strip().splitlines()) == 1
    assert env.one("SELECT count(*) FROM staging.deals") == (1,)


def test_summary_prints_complete_periods(env, capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "2025-01" in out and "2025-Q1" in out


@pytest.mark.parametrize("statement", [
    "EXPORT DATABASE '{dir}'",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '{dir}/out.csv'",
    "PRAGMA import_database('{dir}')",
    "COPY (SELECT 1) TO '{dir}/out.csv'",
    "ATTACH '{dir}/other.duckdb' AS other",
    "SELECT 1; COPY (SELECT 1) TO '{dir}/out.csv'",
])
def test_query_writes_nothing_anywhere(env, capsys, tmp_path, statement):
    """Statements that write files even on a read-only connection are refused before they run: one line, exit 2,
    and the folder they name stays empty."""
    target = tmp_path / "written"
    target.mkdir()
    assert main(["query", statement.format(dir=target)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("payback query: payback query runs queries only") and len(error.splitlines()) == 1
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("sql", ["with a as (select 1 as x) select x from a", "values (1)", "from staging.deals",
                                 "describe staging.deals", "show tables", "summarize staging.deals"])
def test_query_accepts_every_form_of_query(env, capsys, sql):
    assert main(["query", sql]) == 0


def test_query_and_summary_into_a_closed_pipe_end_quietly(env):
    """`payback query … | head -1`: once head has its line, the rest of the output goes nowhere, without a
    BrokenPipeError traceback."""
    for command in (f"{sys.executable} -m pipelines.cli query 'select * from range(200000)' | head -1",
                    f"{sys.executable} -m pipelines.cli summary | head -1"):
        completed = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True, text=True)
        assert len(completed.stdout.splitlines()) == 1
        assert completed.stderr == "", completed.stderr


def test_a_reader_waits_for_a_run_to_let_go_of_the_file_then_answers(env):
    """A process holds the database for writing (as a run's step does) for 3 s: `payback query` waits, says for
    whom, then answers."""
    path = env.settings.duckdb_path
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys, time; con = duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(3)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    completed = subprocess.run([sys.executable, "-m", "pipelines.cli", "query", "select count(*) from staging.deals",
                                "--format", "csv"], capture_output=True, text=True)
    holder.wait()
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == ["count_star()", "1"]
    assert "is using it" in completed.stderr and f"process {holder.pid}" in completed.stderr


def test_a_file_held_too_long_is_named_plainly(env):
    from pipelines.warehouse import DatabaseBusy, open_database

    path = env.settings.duckdb_path
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; con = duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseBusy, match=rf"is in use by process {holder.pid} .*try again when it is done"):
            open_database(path, read_only=True, wait_seconds=1)
    finally:
        holder.kill()
        holder.wait()

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
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency
        2025-02-10,google_ads,g1,50,EUR
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


def summary_rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:4] == "2025"}


def test_summary_shows_a_dash_for_undefined_never_zero(env, capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    # Columns: spend, S&M cost, new cust., CAC, LTV, LTV:CAC, payback (mo), retention, conversion.
    assert summary_rows(out) == {
        # January: A is won, but no spend and no ledger line: no cost data, so no CAC and no payback. No customer
        # at the start (no retention), no lead (no conversion), none lost (no formula LTV).
        "2025-01": ["—", "—", "1", "—", "—", "—", "—", "—", "—"],
        # February: 50 of spend, no new customer: no CAC. A, the one customer at the start, is kept: 100%.
        "2025-02": ["50", "50", "0", "—", "—", "—", "—", "100.0%", "—"],
        # Q1: CAC 50 / 1. ARPA: A's 100 over its 3 active months = 33.33; payback 50 / 33.33 = 1.5 months, within
        # the 12 of the target.
        "2025-Q1": ["50", "50", "1", "50", "—", "—", "1.5", "✓", "—", "—"],
    }
    assert "Money in EUR; S&M cost = paid spend + every other sales and marketing cost." in out
    assert max(len(line) for line in out.splitlines()) <= 120


def test_summary_labels_figures_with_the_settings_the_tables_were_built_with(env, capsys, monkeypatch):
    monkeypatch.setenv("REPORTING_CURRENCY", "USD")
    monkeypatch.setenv("PAYBACK_TARGET_MONTHS", "1")
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "REPORTING_CURRENCY=USD (tables built with EUR)" in out
    assert "PAYBACK_TARGET_MONTHS=1 (tables built with 12)" in out
    assert "Run `payback run` to rebuild them with the current settings." in out
    assert "Money in EUR;" in out and "payback ≤ 12 months" in out and "USD" not in out.split("rebuild")[1]
    assert summary_rows(out)["2025-Q1"][6:8] == ["1.5", "✓"]  # judged at the build's target of 12, not 1


def test_build_info_records_the_settings_with_a_comment_on_each_column(env):
    assert env.one("SELECT reporting_currency, ltv_cac_target, payback_target_months, as_of = current_date, "
                   "built_at <= now()::TIMESTAMP FROM marts.build_info") == ("EUR", 3.0, 12.0, True, True)
    comments = dict(env.query("SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' "
                              "AND table_name = 'build_info'"))
    assert comments["reporting_currency"].startswith("REPORTING_CURRENCY: ")
    assert comments["as_of"].startswith("PAYBACK_AS_OF: ")
    assert all(comments.values()), comments


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

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

"""Never lose, double or hang: real `payback run` processes, killed with SIGKILL, stopped, interrupted and run side by
side against one Dagster instance and one DuckDB file."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from pipelines.demo_data import REPORTS, generate
from tests.conftest import MARTS

RAW_TABLES = ("contacts", "companies", "deals", "costs", "touchpoints", "fx_rates", "ad_spend")
EXTRA_SPEND_ROWS = 1_000_000  # a load long enough to be killed in the middle of


class Workspace:
    """An exports folder, a database and a Dagster instance of their own, driven through the real CLI."""

    def __init__(self, root: Path):
        self.root = root
        self.exports = root / "exports"
        self.database = root / "data" / "payback.duckdb"
        self.env = {**os.environ, "PAYBACK_DUCKDB_PATH": str(self.database),
                    "PAYBACK_EXPORTS_DIR": str(self.exports), "DAGSTER_HOME": str(root / "dagster_home"),
                    "PAYBACK_AS_OF": "2026-11-30", "PYTHONUNBUFFERED": "1"}
        self.exports.mkdir(parents=True, exist_ok=True)

    def start(self, *args: str, name: str = "run") -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "w")
        return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], env=self.env, cwd=self.root,
                                stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str = "run") -> str:
        return (self.root / f"{name}.log").read_text()

    def payback(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def load_jobs(self, state: str) -> list[Path]:
        return list((self.database.parent / ".dlt" / self.database.stem).glob(
            f"payback_exports/load/normalized/*/{state}/*"))

    def instance(self) -> DagsterInstance:
        return DagsterInstance.from_ref(InstanceRef.from_dir(self.env["DAGSTER_HOME"]))


def demo_exports(workspace: Workspace) -> None:
    """The demo's exports, plus a second spend file of 1M rows (700 days x ~1,429 campaigns of 1.50 EUR). The
    demo's own spend is the three platforms' UI reports: their data rows, as written, are ad_spend rows too."""
    written = generate(workspace.exports)
    workspace.report_rows = sum(written[name] for name, *_ in REPORTS.values())
    duckdb.sql(f"""COPY (SELECT DATE '2024-01-01' + (i % 700)::INT AS date, 'meta' AS platform,
                               'x-' || (i // 700) AS campaign_id, 1.5 AS spend, 'EUR' AS currency
                        FROM range({EXTRA_SPEND_ROWS}) t(i))
                   TO '{workspace.exports / "ad_spend_extra.csv"}'""")


def expected_rows(workspace: Workspace) -> dict[str, int]:
    """Each raw table's rows, counted in the files by DuckDB: every key of the demo appears once."""
    counted = {table: sum(duckdb.sql(f"SELECT count(*) FROM read_csv('{path}')").fetchall()[0][0]
                          for path in workspace.exports.glob(f"{table}*.csv")) for table in RAW_TABLES}
    return {**counted, "ad_spend": counted["ad_spend"] + workspace.report_rows}


def raw_rows(workspace: Workspace) -> dict[str, int]:
    return {table: workspace.query(f"SELECT count(*) FROM raw_exports.{table}")[0][0] for table in RAW_TABLES}


def marts(workspace: Workspace) -> dict[str, list]:
    return {mart: workspace.query(f"SELECT * FROM marts.{mart} ORDER BY ALL") for mart in MARTS}


def wait_for(condition, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A clean run of the same exports, never interrupted."""
    workspace = Workspace(tmp_path_factory.mktemp("reference"))
    demo_exports(workspace)
    assert workspace.payback("run").returncode == 0
    return workspace


def test_a_run_killed_during_its_first_load_then_run_again_has_every_record_once(tmp_path, reference):
    """SIGKILL when the first load has committed some tables (a load job completed) and not others (a job started):
    the next `payback run` frees the dead run's writer slot by itself, marks it failed, and ends with every record
    once (the rows counted in the files) and marts identical to the clean run's."""
    workspace = Workspace(tmp_path)
    demo_exports(workspace)
    first = workspace.start("run", name="killed")
    wait_for(lambda: any(p.suffix == ".parquet" for p in workspace.load_jobs("completed_jobs"))
             and workspace.load_jobs("started_jobs"), timeout=300, what="dlt's load jobs")
    first.send_signal(signal.SIGKILL)
    first.wait()

    rerun = workspace.payback("run", timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"(pid {first.pid}) had died; its writer slot is freed" in rerun.stdout
    assert raw_rows(workspace) == expected_rows(workspace)
    assert workspace.query("SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' "
                           "AND period_start = '2026-07-01'") == reference.query(
        "SELECT new_customers FROM marts.cac WHERE period_grain = 'quarter' AND period_start = '2026-07-01'")
    assert marts(workspace) == marts(reference)
    killed_run = [run for run in workspace.instance().get_runs() if run.status == DagsterRunStatus.FAILURE]
    assert len(killed_run) == 1


def test_a_waiting_run_says_what_it_waits_for_stops_on_ctrl_c_and_goes_on_when_the_holder_dies(tmp_path, reference):
    """Run A is frozen (SIGSTOP) while it holds the writer pool in its sync. Run B waits, says which run holds the
    pool, and stops on SIGINT. Run C waits too; when A is killed (SIGKILL), C frees A's slot by itself and
    finishes with every record once."""
    workspace = Workspace(tmp_path)
    demo_exports(workspace)
    holder = workspace.start("run", name="holder")
    wait_for(lambda: workspace.load_jobs("new_jobs") or workspace.load_jobs("started_jobs"), timeout=300,
             what="run A to hold the writer pool")
    holder.send_signal(signal.SIGSTOP)
    try:
        waiting = workspace.start("run", name="interrupted")
        wait_for(lambda: "waiting for the writer pool" in workspace.log("interrupted"), timeout=120,
                 what="run B to say it waits", interval=0.2)
        assert f"(payback run, pid {holder.pid}) holds it" in workspace.log("interrupted")
        waiting.send_signal(signal.SIGINT)
        assert waiting.wait(timeout=30) == 130
        assert "payback: stopped (Ctrl-C)" in workspace.log("interrupted")

        patient = workspace.start("run", name="patient")
        wait_for(lambda: "waiting for the writer pool" in workspace.log("patient"), timeout=120,
                 what="run C to say it waits", interval=0.2)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert patient.wait(timeout=600) == 0, workspace.log("patient")
    assert f"(pid {holder.pid}) had died; its writer slot is freed" in workspace.log("patient")
    assert raw_rows(workspace) == expected_rows(workspace)
    assert marts(workspace) == marts(reference)
    # A killed, B stopped, C's sync and rebuild.
    statuses = sorted(run.status.value for run in workspace.instance().get_runs())
    assert statuses == ["CANCELED", "FAILURE", "SUCCESS", "SUCCESS"]


def test_two_runs_at_once_on_a_fresh_instance_both_finish(tmp_path, reference):
    """Two `payback run` started together on a DAGSTER_HOME that does not exist yet: the instance is created once
    (no SQLite schema race), both runs queue on the writer pool and both finish, with every record once."""
    workspace = Workspace(tmp_path)
    demo_exports(workspace)
    runs = [workspace.start("run", name=f"run{i}") for i in range(2)]
    for i, run in enumerate(runs):
        assert run.wait(timeout=900) == 0, workspace.log(f"run{i}")
        assert "Traceback" not in workspace.log(f"run{i}")
    assert raw_rows(workspace) == expected_rows(workspace)
    assert marts(workspace) == marts(reference)
    # Each a sync and, when the other had not rebuilt the tables yet, a rebuild.
    statuses = [run.status for run in workspace.instance().get_runs()]
    assert len(statuses) >= 3 and set(statuses) == {DagsterRunStatus.SUCCESS}

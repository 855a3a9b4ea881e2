"""The single-writer pool: DuckDB has one writer, so every step that touches the database holds a slot of the Dagster
pool `duckdb_writer` (limit 1, `dagster_home/dagster.yaml`), which every run of the instance shares — from the CLI,
the UI, a schedule or a sensor. Runs therefore queue step by step and all finish.

A run killed outright (`kill -9`, a power cut) never gives its slot back, and the instance keeps it as running.
A run is alive only while the process that started it is: `release_dead_runs` marks every other unfinished run
failed and frees what it held, so that a dead run never blocks the next one. The CLI calls it before a run and
while one waits; the `writer_pool_recovery` sensor does it for runs launched from the UI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import RunsFilter

POOL = "duckdb_writer"
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class RunWorker:
    """The process that started a run: its pid and when the run started (seconds since the epoch)."""
    run_id: str
    pid: int
    started: float

    @property
    def alive(self) -> bool:
        return _process_started_by(self.pid, self.started)


def run_worker(instance: DagsterInstance, run_id: str) -> RunWorker | None:
    """The process a run runs in, from the pid its start event was reported by; None before it started."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    if not records:
        return None
    entry = records[0].event_log_entry
    pid = entry.dagster_event.pid if entry.dagster_event else None
    return RunWorker(run_id, pid, entry.timestamp) if pid else None


def _process_started_by(pid: int, moment: float) -> bool:
    """Whether process `pid` exists, is not a zombie, and was already running at `moment` (a pid reused by a
    later process is not the run's)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.parent.exists():
        if not Path("/proc/self/stat").exists():  # no procfs (macOS): existence is all that can be known
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return False
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    state, start_ticks = fields[0], int(fields[19])
    if state in ("Z", "X"):
        return False
    boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime"))
    started = boot + start_ticks / os.sysconf("SC_CLK_TCK")
    return started <= moment + 1  # btime is whole seconds


def release_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose process is gone, and free the pool slots and queue places it held
    (as well as those of runs that finished without freeing them). Returns one line per run released."""
    released = []
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED)):
        worker = run_worker(instance, run.run_id)
        if worker is None or worker.alive:
            continue
        instance.report_run_failed(run, message=f"The process of this run (pid {worker.pid}) is gone: it was killed "
                                                "or crashed. Marked failed, and its writer pool slot freed.")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(f"run {run.run_id[:8]} (pid {worker.pid}) had died; its writer slot is freed")
    info = instance.event_log_storage.get_concurrency_info(POOL)
    for run_id in {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}:
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return released


def pool_holders(instance: DagsterInstance, waiting_run_id: str) -> list[str] | None:
    """Who holds the writer pool while `waiting_run_id` waits for it (one description per run); None when that run
    is not waiting."""
    info = instance.event_log_storage.get_concurrency_info(POOL)
    waiting = any(step.run_id == waiting_run_id and step.assigned_timestamp is None for step in info.pending_steps)
    if not waiting:
        return None
    holders = []
    for run_id in sorted({slot.run_id for slot in info.claimed_slots} - {waiting_run_id}):
        run = instance.get_run_by_id(run_id)
        worker = run_worker(instance, run_id)
        launched_by = (run.tags.get("payback/launched_by") if run else None) or "the UI, a schedule or a sensor"
        holders.append(f"run {run_id[:8]} ({launched_by}" + (f", pid {worker.pid})" if worker else ")"))
    return holders

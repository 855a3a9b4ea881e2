"""A run of the Dagster job in this process (`payback run`), recorded in the project's instance like any run from the
UI: it queues on the writer pool behind any other run, says what it waits for, frees the slots of runs that died,
and stops on Ctrl-C (or SIGTERM) even while it waits."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetKey, DagsterInstance, JobDefinition
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, DagsterEventType, RunFailureReason
from dagster._core.execution.execute_in_process_result import ExecuteInProcessResult
from dagster._core.utils import make_new_run_id
from dagster._utils.interrupts import check_captured_interrupt

from pipelines.writer_pool import pool_holders, release_dead_runs

PROJECT_INSTANCE_CONFIG = Path(__file__).resolve().parent.parent / "dagster_home" / "dagster.yaml"
WATCH_SECONDS = 1.0
LAUNCHED_BY_TAG = "payback/launched_by"


class RunInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped the run."""


def dagster_home() -> Path:
    """DAGSTER_HOME (default ./dagster_home), holding the project's instance settings (no telemetry, the writer
    pool's limit)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path("dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(PROJECT_INSTANCE_CONFIG, config)
    return home


@contextmanager
def _instance_lock(home: Path):
    """Creating an instance's storage is not safe from two processes at once (two at a time leave SQLite with two
    schema versions, and the instance unusable): processes take turns."""
    with open(home / ".instance.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def project_instance() -> DagsterInstance:
    """The instance at DAGSTER_HOME, its storage created once, so that CLI runs appear in the UI's history."""
    home = dagster_home()
    with _instance_lock(home):
        instance = DagsterInstance.get()
        instance.get_runs(limit=1)  # creates the run and event storage, under the lock
        instance.event_log_storage.get_concurrency_info("duckdb_writer")
        instance.all_instigator_state()  # and the schedule storage
    return instance


class _PoolWatch(threading.Thread):
    """While the run executes: frees the slots of dead runs, says once who holds the pool when the run waits for it,
    and turns a captured Ctrl-C into an interruption when the run waits (Dagster only checks for one when a step
    starts, which a waiting run never reaches)."""

    def __init__(self, run_id: str):
        super().__init__(daemon=True, name="payback-pool-watch")
        self.run_id = run_id
        self.done = threading.Event()
        self.interrupted = False

    def run(self) -> None:
        instance, told = DagsterInstance.get(), None
        while not self.done.wait(WATCH_SECONDS):
            for line in release_dead_runs(instance):
                print(f"  {line}", flush=True)
            holders = pool_holders(instance, self.run_id)
            if holders and holders != told:
                print(f"  waiting for the writer pool: {'; '.join(holders)} holds it. This run goes on when it is "
                      "done (Ctrl-C stops it).", flush=True)
                told = holders
            if check_captured_interrupt() and holders is not None and not self.interrupted:
                self.interrupted = True
                run = instance.get_run_by_id(self.run_id)
                if run is not None:
                    instance.report_run_canceling(run, message="Stopped by Ctrl-C while waiting for the writer pool.")
                os.kill(os.getpid(), signal.SIGUSR1)


def _raise_interrupted(_signo, _frame):
    raise DagsterExecutionInterruptedError()


def execute(job: JobDefinition, instance: DagsterInstance, selection: Sequence[AssetKey] | None,
            run_config: dict) -> ExecuteInProcessResult:
    """Execute `job` in this process as a run of `instance`; `RunInterrupted` when Ctrl-C or SIGTERM stopped it."""
    for line in release_dead_runs(instance):
        print(f"  {line}", flush=True)
    run_id = make_new_run_id()
    watch = _PoolWatch(run_id)
    previous = signal.signal(signal.SIGUSR1, _raise_interrupted)
    watch.start()
    try:
        result = job.execute_in_process(instance=instance, run_id=run_id, asset_selection=selection,
                                        raise_on_error=False, run_config=run_config,
                                        tags={LAUNCHED_BY_TAG: "payback run"})
    finally:
        watch.done.set()
        watch.join()
        signal.signal(signal.SIGUSR1, previous)
    if watch.interrupted or any(_is_interruption(event) for event in result.all_events):
        raise RunInterrupted()
    return result


def _is_interruption(event: DagsterEvent) -> bool:
    """The run's end as Dagster records a Ctrl-C or SIGTERM: canceled, or failed by an unexpected termination."""
    if event.event_type == DagsterEventType.RUN_CANCELED:
        return True
    return (event.event_type == DagsterEventType.RUN_FAILURE
            and getattr(event.event_specific_data, "failure_reason", None) == RunFailureReason.UNEXPECTED_TERMINATION)


def exit_on_interrupt() -> None:
    print("payback: stopped (Ctrl-C); nothing it had not finished was kept, run `payback run` again to complete",
          file=sys.stderr)
    sys.exit(130)

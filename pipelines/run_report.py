"""What a run's checks found, as `payback run` prints it: a count per failed WARN check, the first keys of each
failed ERROR check, and the verdict (a run fails only on ERROR, or when a step itself failed)."""

import sys

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
)

SHOWN_ERROR_KEYS = 5


def failed_error_check_steps(result: ExecuteInProcessResult) -> set[str]:
    """The steps of checks that failed with ERROR: such a step fails on purpose, after recording its result, so
    that the run is not taken for a success."""
    return {event.step_key for event in result.all_events
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
            and not event.asset_check_evaluation_data.passed
            and event.asset_check_evaluation_data.severity == AssetCheckSeverity.ERROR}


def step_failures(result: ExecuteInProcessResult) -> list:
    """Step failure events other than failed ERROR checks: something could not be built."""
    checks = failed_error_check_steps(result)
    return [event for event in result.all_events if event.is_step_failure and event.step_key not in checks]


def latest_check_evaluations(instance: DagsterInstance, check_keys) -> list[AssetCheckEvaluation]:
    """Each check's last evaluation: this run's when its table was rebuilt, else the one made when the table was
    last built (a table left as it was keeps what its checks found)."""
    records = (instance.get_latest_asset_check_evaluation_record(key) for key in check_keys)
    return [record.evaluation for record in records if record is not None and record.evaluation is not None]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def report_checks(evaluations: list[AssetCheckEvaluation], out=None) -> bool:
    """Print the failed checks of a run; True when no ERROR check failed."""
    out = out or sys.stdout
    failed = sorted((e for e in evaluations if not e.passed),
                    key=lambda e: (e.severity != AssetCheckSeverity.ERROR, e.asset_key.to_user_string(),
                                   e.check_name))
    errors = [e for e in failed if e.severity == AssetCheckSeverity.ERROR]
    warnings = [e for e in failed if e.severity != AssetCheckSeverity.ERROR]
    print(f"Checks: {len(evaluations) - len(failed)} passed, {len(warnings)} WARN, {len(errors)} ERROR", file=out)
    for evaluation in failed:
        name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        rows = _plural(evaluation.metadata["failing_rows"].value, "row")
        print(f"  {evaluation.severity.value:<5}  {name}: {rows}", file=out)
        if evaluation.severity != AssetCheckSeverity.ERROR:
            continue
        keys = evaluation.metadata["failing_keys"].value.splitlines()
        for line in keys[:SHOWN_ERROR_KEYS]:
            print(f"           {line.removeprefix('- ')}", file=out)
        if len(keys) > SHOWN_ERROR_KEYS or evaluation.metadata["failing_rows"].value > len(keys):
            print("           …", file=out)
        print(f"           → {evaluation.metadata['fix'].value}", file=out)
    if warnings:
        print("  WARN: the normal state of a CRM; no published number depends on these rows. Their keys are in "
              "each check's metadata (`make ui` → Checks).", file=out)
    if errors:
        names = ", ".join(f"{e.asset_key.to_user_string()} {e.check_name}" for e in errors)
        print(f"payback: {_plural(len(errors), 'ERROR check')} failed ({names}): a published number is wrong "
              "until the rows above are fixed.", file=sys.stderr)
    return not errors

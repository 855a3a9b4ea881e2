"""The work of a refresh run without Dagster: each configured source synced through its own dlt pipeline, every SQL
model built in order, `marts.build_info` written, every check evaluated, by the functions the assets and checks
call. A Dagster run of a small project spends most of its time orchestrating some hundred steps; most tests ask
only for the tables and the checks' findings."""

from collections.abc import Callable
from contextlib import closing
from functools import partial

import dlt
from dagster import AssetCheckEvaluation, AssetKey
from dlt.extract import DltSource

from pipelines.build import build_tables
from pipelines.build_info import write_build_info
from pipelines.checks import all_checks, evaluate
from pipelines.config import Settings
from pipelines.progress import report
from pipelines.raw_assets import raw_sources
from pipelines.warehouse import STEP_WAIT_SECONDS, connect


class DirectRun:
    """What a direct run found, asked as of a Dagster run's result: its check evaluations. It records no Dagster
    events: a test that asks for them runs through Dagster (`Project.run_dagster`)."""

    def __init__(self, evaluations: list[AssetCheckEvaluation]):
        self.evaluations = evaluations

    def get_asset_check_evaluations(self) -> list[AssetCheckEvaluation]:
        return self.evaluations

    def __getattr__(self, name: str):
        raise AttributeError(f"a direct run records no Dagster {name}: use Project.run_dagster() for this test")


def _pipeline_run(pipeline: dlt.Pipeline, run_options: dict) -> Callable[[DltSource], object]:
    """`pipeline.run` as Dagster's dlt resource calls it: local state dropped first (dlt restores it from the
    destination), a failed load job raised."""

    def run(source: DltSource):
        pipeline.drop()
        info = pipeline.run(source, **run_options)
        info.raise_on_failed_jobs()
        return info

    return run


def run_directly(settings: Settings) -> DirectRun:
    say = partial(report, None)
    for raw in raw_sources(settings):
        raw.load(settings, _pipeline_run(raw.pipeline(settings), raw.run_options), say)
    with closing(connect(settings, wait_seconds=STEP_WAIT_SECONDS, say=say)) as con:
        build_tables(con, settings.sources)
        write_build_info(con)
    evaluations = []
    with closing(connect(settings, read_only=True, wait_seconds=STEP_WAIT_SECONDS, say=say)) as con:
        for check in all_checks():
            result = evaluate(con, check)
            evaluations.append(AssetCheckEvaluation(
                asset_key=AssetKey(list(check.table)), check_name=check.name, passed=result.passed,
                metadata=result.metadata, severity=result.severity, description=result.description))
    return DirectRun(evaluations)

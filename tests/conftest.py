"""Shared helpers: build a project in tmp_path from export files, run it (directly, or through Dagster), query the
result."""

import textwrap
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.config import Settings
from pipelines.definitions import REFRESH_JOB, build_definitions
from pipelines.dlt_errors import wrapped_error
from pipelines.raw_assets import make_pipeline
from pipelines.run_report import step_failures
from pipelines.warehouse import TRANSFORMS_DIR
from tests.direct_run import run_directly


class Project:
    def __init__(self, root: Path, **env: str):
        self.root = root
        self.exports = root / "exports"
        self.exports.mkdir(parents=True, exist_ok=True)
        self.settings = Settings.from_env({"PAYBACK_DUCKDB_PATH": str(root / "payback.duckdb"),
                                           "PAYBACK_EXPORTS_DIR": str(self.exports), **env})

    def write(self, name: str, text: str) -> Path:
        path = self.exports / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).strip() + "\n")
        return path

    def run(self, selection=None):
        """Build every table and evaluate every check with the functions the assets call, without Dagster
        (tests/direct_run.py); the result answers `failed_checks`. With an asset `selection`, through Dagster."""
        if selection is not None:
            return self.run_dagster(selection)
        return run_directly(self.settings)

    def run_dagster(self, selection=None):
        """Materialize every asset (and run every check) through Dagster; returns the execution result. A failed
        ERROR check fails the run on purpose (see failed_checks); any other failed step fails here."""
        defs = build_definitions(self.settings)
        job = defs.resolve_job_def(REFRESH_JOB)
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), asset_selection=selection,
                                        raise_on_error=False)
        failures = step_failures(result)
        assert not failures, failures[0].step_failure_data.error.to_string()
        return result

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.settings.duckdb_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params=None):
        rows = self.query(sql, params)
        assert len(rows) == 1, rows
        return rows[0]


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)


def failed_checks(result) -> dict[str, object]:
    """Failed check evaluations by `asset_key:check_name`."""
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e
            for e in result.get_asset_check_evaluations() if not e.passed}


MARTS = ("cac", "conversion", "retention", "cohort_retention", "ltv", "unit_economics", "cac_by_segment",
         "repeat_purchase_retention", "attribution", "attribution_comparison", "channel_economics",
         "campaign_economics")


def assert_same_marts(left: Project, right: Project) -> None:
    """Every mart of two projects, row for row."""
    for mart in MARTS:
        query = f"SELECT * FROM marts.{mart} ORDER BY ALL"
        assert left.query(query) == right.query(query), mart


def source_error(failure) -> str:
    """The message of the SourceError at the root of a pipeline failure (dlt wraps it twice)."""
    from pipelines.sources.rest import SourceError

    error = wrapped_error(failure.value, SourceError)
    assert error is not None, f"no SourceError behind {failure.value!r}"
    return str(error)


def sync_api_source(tmp_path: Path, source, dataset: str):
    """Load an API source into `tmp_path/api.duckdb` through the project's own dlt pipeline, with parquet files,
    as the raw assets load API sources."""
    settings = Settings.from_env({"PAYBACK_DUCKDB_PATH": str(tmp_path / "api.duckdb"),
                                  "PAYBACK_EXPORTS_DIR": str(tmp_path / "exports")})
    return make_pipeline(settings, f"{dataset}_test", dataset).run(source, loader_file_format="parquet")


def api_rows(tmp_path: Path, sql: str) -> list[tuple]:
    """The result of `sql` on the database `sync_api_source` loaded."""
    return query_file(tmp_path / "api.duckdb", sql)


def staged(tmp_path: Path, model: str, select: str = "select * from staged order by all") -> list[tuple]:
    """`select` over `staged`, the staging model `transforms/staging/<model>.sql` run on the database
    `sync_api_source` loaded."""
    sql = (TRANSFORMS_DIR / "staging" / f"{model}.sql").read_text()
    return api_rows(tmp_path, f"with staged as (\n{sql}\n)\n{select}")


def query_file(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()

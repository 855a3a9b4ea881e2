"""The benchmark keeps working: run at a tiny scale, each step once and in this process (timings are meaningless
here; `make bench` measures, each step in a process of its own)."""

import json

import dlt
import duckdb
import pytest

from bench.run import AD_API_TINY_SCALE, AD_PLATFORMS, measure, measure_here, run_benchmark
from pipelines.warehouse import dlt_working_dir

FIGURE_KEYS = {"figure", "ours_s", "reference_s", "ratio", "target", "met"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bench")
    return tmp_path, run_benchmark(spend_rows=2_000, work=tmp_path / "work", results=tmp_path / "results",
                                   repeats=1, measure=measure_here)


def test_benchmark_runs_end_to_end_and_writes_markdown_and_json(bench):
    tmp_path, report = bench
    written = sorted(p.suffix for p in (tmp_path / "results").iterdir())
    assert written == [".json", ".md"]
    saved = json.loads(next((tmp_path / "results").glob("*.json")).read_text())
    assert saved["machine"]["cores"] >= 1
    assert set(saved["versions"]) >= {"dlt", "duckdb", "dagster"}
    assert saved["scale"]["spend_rows"] == 2_000
    assert all(FIGURE_KEYS <= set(figure) for figure in saved["figures"])
    # ingest; the Google Ads UI export; four of incremental sync; transforms; attribution and the Markov solve; RSS
    # at two scales and its growth; dict rows; API sync of HubSpot and of the three ad platforms; a run with nothing
    # new, a run after one new file
    assert len(saved["figures"]) == 19
    markdown = next((tmp_path / "results").glob("*.md")).read_text()
    assert all(f"| {figure['figure']}" in markdown for figure in saved["figures"])
    by_name = {f["figure"].split(" (")[0]: f for f in report["figures"]}
    ingest = by_name["ingest spend + contacts"]
    assert ingest["ours_s"] > 0 and ingest["reference_s"] > 0
    assert ingest["ratio"] == pytest.approx(ingest["ours_s"] / ingest["reference_s"], rel=0.02)
    no_op = next(f for name, f in by_name.items() if name.startswith("payback run with nothing new"))
    assert no_op["note"].startswith("0 of ") and no_op["ratio"] < 1
    one_file = next(f for name, f in by_name.items() if name.startswith("payback run after one new costs file"))
    assert one_file["met"] and 0 < one_file["ours_s"] <= one_file["reference_s"]
    ui_export = next(f for name, f in by_name.items() if name.startswith("Google Ads UI export of 2,000 rows"))
    assert ui_export["ours_s"] > 0 and ui_export["reference_s"] > 0 and ui_export["target"] == "≤ 1.5×"
    dicts = by_name["API rows as dicts through dlt with parquet, per row / DuckDB read_csv per row"]
    assert dicts["ours_s"] > 0 and dicts["reference_s"] > 0 and dicts["target"] == "≤ 25×"
    api = next(f for f in report["figures"] if f["figure"].startswith("API sync"))
    assert api["ours_s"] > 0 and api["reference_s"] > 0 and "answered 429" in api["note"]


def test_each_ad_platform_syncs_against_its_rate_limit_every_campaign_day_once(bench):
    """The tiny scale: one account of 10 campaigns over 30 days from each platform's rate-limited local server,
    300 campaign days, each loaded once, none of its requests refused."""
    tmp_path, report = bench
    assert AD_API_TINY_SCALE == {"accounts": 1, "campaigns": 10, "days": 30}
    for name, title in AD_PLATFORMS.items():
        figure = next(f for f in report["figures"]
                      if f["figure"].startswith(f"API sync of {title}, accounts × campaigns × days = 1 × 10 × 30,"))
        assert figure["ours_s"] > 0 and figure["reference_s"] > 0 and figure["target"] == "≤ 1.2×"
        assert figure["note"].endswith(", 0 refused by the rate limit")
        with duckdb.connect(str(tmp_path / "work" / f"{name}.duckdb"), read_only=True) as con:
            assert con.execute(f"SELECT count(*), count(DISTINCT (account_id, campaign_id, date)) "
                               f"FROM raw_{name}.campaign_daily").fetchall() == [(300, 300)]


def test_incremental_sync_loads_only_the_delta(bench):
    tmp_path, _ = bench
    # 400 contacts, re-exported 1% twice: every contact still once, with the latest updated_at for the changed.
    with duckdb.connect(str(tmp_path / "work" / "ours.duckdb"), read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT contact_id) FROM raw_exports.contacts"
                                      ).fetchall()[0]
        reference = con.execute("SELECT count(*) FROM raw_exports.contacts WHERE updated_at > '2025-12-31'"
                                ).fetchall()[0][0]
    assert total == distinct == 400
    assert reference > 0


def test_dict_rows_load_through_parquet_once_each(bench):
    tmp_path, _ = bench
    # The 400 contacts of the tiny scale, as pages of dicts: each once, from parquet files (never INSERT VALUES).
    with duckdb.connect(str(tmp_path / "work" / "dicts.duckdb"), read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT contact_id) FROM raw_dicts.contacts"
                                      ).fetchall()[0]
    assert total == distinct == 400
    # The load's record, kept in the pipeline's trace (its files are deleted once loaded).
    pipeline = dlt.attach("bench_dicts", pipelines_dir=str(dlt_working_dir(tmp_path / "work" / "dicts.duckdb")))
    [package] = pipeline.last_trace.last_load_info.load_packages
    formats = {job.job_file_info.file_format for job in package.jobs["completed_jobs"]
               if job.job_file_info.table_name == "contacts"}
    assert formats == {"parquet", "sql"}  # the rows, and the merge dlt runs on them in SQL


def test_attribution_figures_are_measured(bench):
    tmp_path, report = bench
    by_name = {f["figure"].split(" (")[0]: f for f in report["figures"]}
    attribution = next(f for name, f in by_name.items() if name.startswith("attribution, all models"))
    assert attribution["ours_s"] > 0 and attribution["reference_s"] > 0 and attribution["target"] == "≤ 3×"
    markov = next(f for name, f in by_name.items() if name.startswith("Markov exact solve"))
    assert 0 < markov["ours_s"] < 1 and markov["target"] == "≤ 1 GiB"
    # The tiny scale's 400 contacts give 400 distinct paths, and the solve credits every row that converted.
    with duckdb.connect(str(tmp_path / "work" / "markov.duckdb"), read_only=True) as con:
        distinct = con.execute("SELECT count(DISTINCT channels) FROM (SELECT path_id, list(channel ORDER BY "
                               "touch_position) AS channels FROM intermediate.attribution_paths GROUP BY path_id)"
                               ).fetchall()[0][0]
        unbalanced = con.execute("SELECT period_grain, period_start FROM intermediate.markov_removal_effects "
                                 "GROUP BY ALL HAVING abs(sum(credit) - any_value(conversions)) > 1e-9").fetchall()
    assert distinct == 400 and unbalanced == []


def test_a_step_runs_in_a_process_of_its_own(tmp_path):
    """As `make bench` runs every step: the step's own time and the process's peak RSS come back."""
    csv = tmp_path / "contacts.csv"
    csv.write_text("contact_id,created_at\nc1,2025-01-01\nc2,2025-01-02\n")
    step = measure("ingest_reference", tmp_path, database=str(tmp_path / "reference.duckdb"),
                   files={"contacts": str(csv)})
    assert step.seconds > 0 and step.total_seconds >= step.seconds and step.peak_rss_gib > 0
    assert step.wall_s > step.total_seconds  # the process's start-up is outside the step's time
    with duckdb.connect(str(tmp_path / "reference.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(2,)]

"""The code location loads and the asset graph is the database: keys `[schema, table]`, edges from the SQL."""

import pytest
from dagster import AssetKey

from pipelines.config import Settings
from pipelines.definitions import build_definitions
from pipelines.sql_models import discover_models

RAW = ["contacts", "companies", "deals", "ad_spend", "costs", "touchpoints", "orders", "fx_rates", "rejects"]
STAGING = ["contacts", "accounts", "deals", "spend", "costs", "touchpoints", "orders", "fx", "rejects"]
MARTS = ["cac", "conversion", "retention", "cohort_retention", "ltv", "unit_economics", "cac_by_segment",
         "repeat_purchase_retention", "attribution", "attribution_comparison", "channel_economics",
         "campaign_economics", "funnel"]


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    root = tmp_path_factory.mktemp("definitions")
    return build_definitions(Settings.from_env({"PAYBACK_DUCKDB_PATH": str(root / "p.duckdb"),
                                                "PAYBACK_EXPORTS_DIR": str(root / "exports")}))


def test_asset_keys_are_schema_and_table(defs):
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = ({f"raw_exports/{t}" for t in RAW} | {f"staging/{t}" for t in STAGING}
                | {f"marts/{t}" for t in MARTS})
    assert expected <= keys


def test_edges_come_from_the_tables_each_sql_reads(defs):
    graph = defs.resolve_asset_graph()

    def parents(key):
        return {p.to_user_string() for p in graph.get(AssetKey(key.split("/"))).parent_keys}

    assert parents("staging/exports_deals") == {"raw_exports/deals"}
    assert parents("staging/exports_spend") == {"raw_exports/ad_spend"}
    assert parents("staging/deals") == {"staging/exports_deals"}  # the canonical union of every source
    assert parents("intermediate/deals") == {"staging/deals", "intermediate/account_map", "intermediate/fx_daily"}
    assert parents("intermediate/account_map") == {"staging/contacts", "staging/deals", "staging/orders"}
    assert parents("marts/unit_economics") == {"marts/cac", "marts/retention", "marts/conversion", "marts/ltv",
                                               "intermediate/calendar", "intermediate/revenue_monthly",
                                               "intermediate/active_account_months"}
    assert parents("marts/build_info") == {f"marts/{t}" for t in MARTS}  # rebuilt whenever a mart is
    # The Markov solve (Python) sits between the SQL that counts the paths' steps and the marts that read it.
    assert parents("intermediate/markov_removal_effects") == {"intermediate/attribution_transitions"}
    assert parents("marts/attribution") == {"intermediate/attribution_paths", "intermediate/markov_removal_effects",
                                            "intermediate/calendar"}


def test_every_writer_shares_the_single_duckdb_pool(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).pools == {"duckdb_writer"}, key


def test_schedule_sensor_and_checks_are_defined(defs):
    assert defs.resolve_schedule_def("daily_refresh").cron_schedule == "0 6 * * *"
    assert defs.resolve_sensor_def("exports_changed")
    checked = {spec.asset_key.to_user_string() for spec in defs.resolve_asset_graph().asset_check_keys}
    assert {f"raw_exports/{t}" for t in RAW} <= checked
    assert {f"staging/{t}" for t in STAGING if t != "rejects"} <= checked  # rejects: checked in raw_exports


def test_code_version_changes_with_the_sql_text_and_the_settings(defs):
    from dataclasses import replace

    from pipelines.freshness import code_version

    model = next(m for m in discover_models() if (m.schema, m.name) == ("marts", "cac"))
    spec = defs.resolve_asset_graph().get(AssetKey(["marts", "cac"]))
    settings = Settings.from_env({})
    assert spec.code_version == code_version(model.code_version, settings)
    edited = replace(model, sql=model.sql + "\n")
    assert code_version(edited.code_version, settings) != spec.code_version
    assert code_version(model.code_version, Settings.from_env({"GROSS_MARGIN": "0.5"})) != spec.code_version


def test_asset_description_is_the_whole_sql_header(defs):
    spec = defs.resolve_asset_graph().get(AssetKey(["marts", "cac"]))
    assert spec.description.startswith("marts.cac: one row per period")
    assert "never 0, and cac_null_reason 'no_cost_data'." in spec.description
    assert "- `cac`: fully loaded CAC = sm_cost / new_customers;" in spec.description


def test_committed_dagster_instance_config_is_valid(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from dagster import DagsterInstance

    shutil.copy(Path(__file__).parent.parent / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.get() as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_code_location_loads_through_dagster(tmp_path):
    # The same loading `make ui` does, through Dagster's own command.
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run([str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
                               cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Validation successful" in completed.stderr + completed.stdout

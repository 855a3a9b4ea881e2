"""One source = one folder: each source declares itself in its own package, and settings, raw assets, schedules,
the CLI and the configuration docs come from the declarations (docs/sources.md)."""

import importlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines import config_docs
from pipelines.cli import main
from pipelines.config import ConfigError, Settings
from pipelines.definitions import build_definitions
from pipelines.sources.registry import declared_sources
from tests.fake_apis.base import FakeApi

ROOT = Path(__file__).resolve().parent.parent


def test_every_source_declares_itself_with_its_schema_staging_and_test_server():
    sources = declared_sources()
    names = [s.name for s in sources]
    assert names[0] == "exports" and names[1:] == sorted(names[1:])
    assert {"hubspot", "pipedrive", "salesforce", "google_ads", "meta_ads", "linkedin_ads"} <= set(names)
    for source in sources:
        assert source.dataset == f"raw_{source.name}"
        assert list(source.staging_dir.glob("*.sql")), source.staging_dir
        if source.test_server:
            module, name = source.test_server.split(":")
            assert issubclass(getattr(importlib.import_module(module), name), FakeApi)
    assert sources[0].settings is None and sources[0].default_cron is None  # the exports: always on, no schedule


def test_selecting_an_unconfigured_source_names_the_variables_to_set(tmp_path, monkeypatch, capsys):
    for variable in ("HUBSPOT_ACCESS_TOKEN", "PIPEDRIVE_API_TOKEN", "PIPEDRIVE_COMPANY_DOMAIN", "PIPEDRIVE_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PAYBACK_DUCKDB_PATH", str(tmp_path / "p.duckdb"))
    monkeypatch.chdir(tmp_path)  # no .env
    assert main(["run", "--select", "hubspot"]) == 2
    assert capsys.readouterr().err == "payback: hubspot is not configured: set HUBSPOT_ACCESS_TOKEN\n"
    assert main(["run", "--select", "raw_pipedrive/deals"]) == 2
    assert capsys.readouterr().err == ("payback: pipedrive is not configured: set PIPEDRIVE_API_TOKEN and "
                                       "PIPEDRIVE_COMPANY_DOMAIN (or PIPEDRIVE_BASE_URL)\n")
    assert not (tmp_path / "p.duckdb").exists()


@pytest.mark.parametrize("env,message", [
    ({"PAYBACK_SCHEDULE_CRON": "every day"}, "PAYBACK_SCHEDULE_CRON='every day' is not a cron schedule"),
    ({"HUBSPOT_SCHEDULE_CRON": "61 5 * * *"}, "HUBSPOT_SCHEDULE_CRON='61 5 * * *' is not a cron schedule"),
    ({"SALESFORCE_LOOKBACK_MINUTES": "an hour"}, "SALESFORCE_LOOKBACK_MINUTES='an hour' is not a number"),
    ({"PIPEDRIVE_API_TOKEN": "pd-secret"}, "PIPEDRIVE_API_TOKEN is set, but not all that is needed: set "
                                           "PIPEDRIVE_API_TOKEN and PIPEDRIVE_COMPANY_DOMAIN (or PIPEDRIVE_BASE_URL)"),
])
def test_a_bad_source_variable_stops_the_start_naming_it(env, message):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value).startswith(message)
    assert "pd-secret" not in str(error.value)


def test_a_source_cron_variable_sets_its_schedule(tmp_path):
    settings = Settings.from_env({"PAYBACK_DUCKDB_PATH": str(tmp_path / "p.duckdb"), "HUBSPOT_ACCESS_TOKEN": "t",
                                  "HUBSPOT_SCHEDULE_CRON": "30 4 * * 1-5", "PIPEDRIVE_API_TOKEN": "t",
                                  "PIPEDRIVE_COMPANY_DOMAIN": "acme"})
    defs = build_definitions(settings)
    assert defs.resolve_schedule_def("hubspot_daily").cron_schedule == "30 4 * * 1-5"
    assert defs.resolve_schedule_def("pipedrive_daily").cron_schedule == "0 5 * * *"  # its declared default
    assert settings.source("pipedrive").url == "https://acme.pipedrive.com"


def test_secrets_are_never_shown():
    settings = Settings.from_env({"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
                                  "SALESFORCE_CLIENT_ID": "id-secret", "SALESFORCE_CLIENT_SECRET": "the-secret"})
    assert settings.sources == ("exports", "salesforce")
    shown = repr(settings.source("salesforce")) + str(settings.source("salesforce"))
    assert "id-secret" not in shown and "the-secret" not in shown


def test_env_example_and_the_configuration_table_are_generated_from_the_settings():
    """Run `python -m pipelines.config_docs --write` after changing a setting."""
    assert (ROOT / ".env.example").read_text() == config_docs.env_example()
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert documented == config_docs.with_configuration_table(documented)
    table = config_docs.configuration_table()
    for source in declared_sources():
        for variable in source.settings.variables() if source.settings else []:
            assert f"| `{variable.name}` |" in table


DEMO_SOURCE = '''
"""A CRM that is only an example: one contact, no network."""

import dlt
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import SourceSettings
from pipelines.sources.declaration import SourceDeclaration


class DemoCrmSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_CRM_")
    requires = (("api_key",),)

    api_key: SecretStr | None = Field(None, description="the demo API key")


@dlt.source(name="demo_crm", max_table_nesting=0)
def demo_crm_source(api_key: str):
    @dlt.resource(name="contacts", primary_key="id", write_disposition="merge",
                  columns={"id": {"data_type": "text"}, "email": {"data_type": "text"}})
    def contacts():
        yield [{"id": "c1", "email": "ana@acme.io"}]

    return contacts


SOURCE = SourceDeclaration(name="demo_crm", title="Demo CRM", dataset="raw_demo_crm", settings=DemoCrmSettings,
                           build=lambda config, _: demo_crm_source(config.api_key.get_secret_value()),
                           default_cron="0 3 * * *")
'''

DEMO_STAGING = '''
-- staging.demo_crm_contacts: (Demo CRM) one row per contact.
-- key: contact_id
-- required: created_at
select 'demo_crm' as source_system, id as contact_id, email, timestamp '2025-01-06' as created_at
from raw_demo_crm.contacts
'''

DEMO_CHECK = '''
import contextlib, io, json, os
from dagster import AssetKey, DagsterInstance
from pipelines import config_docs
from pipelines.cli import main
from pipelines.config import Settings
from pipelines.definitions import REFRESH_JOB, build_definitions

env = {"PAYBACK_DUCKDB_PATH": "p.duckdb", "PAYBACK_EXPORTS_DIR": "exports", "DEMO_CRM_API_KEY": "demo-secret"}
settings = Settings.from_env(env)
defs = build_definitions(settings)
result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(
    instance=DagsterInstance.ephemeral(), raise_on_error=False,
    asset_selection=[AssetKey(["raw_demo_crm", "contacts"]), AssetKey(["staging", "demo_crm_contacts"])])
os.environ.update(env)
listed = io.StringIO()
with contextlib.redirect_stdout(listed):
    main(["sources"])
import duckdb
with duckdb.connect("p.duckdb", read_only=True) as con:
    staged = con.execute("select source_system, contact_id, email from staging.demo_crm_contacts").fetchall()
print(json.dumps({
    "configured": settings.sources,
    "unconfigured": Settings.from_env({}).sources,
    "success": result.success,
    "staged": staged,
    "schedule": defs.resolve_schedule_def("demo_crm_daily").cron_schedule,
    "listed": listed.getvalue(),
    "env_example": config_docs.env_example(),
}))
'''


def test_a_new_source_is_a_folder_and_nothing_else(tmp_path):
    """A copy of the project gains a source by two new folders, its package and its staging: it is then
    configured by its variable, synced, staged, scheduled, listed by `payback sources` and documented."""
    project = tmp_path / "project"
    for folder in ("pipelines", "transforms"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "pipelines/sources/demo_crm").mkdir()
    (project / "pipelines/sources/demo_crm/__init__.py").write_text(textwrap.dedent(DEMO_SOURCE))
    (project / "transforms/staging/demo_crm").mkdir()
    (project / "transforms/staging/demo_crm/contacts.sql").write_text(DEMO_STAGING.lstrip())
    (project / "check.py").write_text(DEMO_CHECK)
    completed = subprocess.run([sys.executable, "check.py"], cwd=project, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-3000:]
    facts = json.loads(completed.stdout.splitlines()[-1])
    assert facts["configured"] == ["exports", "demo_crm"]
    assert facts["unconfigured"] == ["exports"]
    assert facts["success"] and facts["staged"] == [["demo_crm", "c1", "ana@acme.io"]]
    assert facts["schedule"] == "0 3 * * *"
    listed = {line.split()[0]: line for line in facts["listed"].splitlines()[2:]}
    assert listed["demo_crm"].split()[1] == "yes" and "contacts 1" in listed["demo_crm"]
    assert "no — set HUBSPOT_ACCESS_TOKEN" in listed["hubspot"]
    assert ("# --- Demo CRM — synced when DEMO_CRM_API_KEY is set" in facts["env_example"]
            and "# The demo API key (secret).\nDEMO_CRM_API_KEY=\n" in facts["env_example"]
            and "DEMO_CRM_SCHEDULE_CRON=0 3 * * *" in facts["env_example"])
    assert "demo-secret" not in completed.stdout + completed.stderr

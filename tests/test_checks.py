"""Data quality checks: an ERROR where a published number would be wrong, a WARN for the normal state of a CRM;
what `payback run` prints and exits with, and how the run looks in Dagster."""

from datetime import UTC, datetime

import duckdb
import pytest
from dagster import AssetCheckSeverity, DagsterInstance, DagsterRunStatus

from pipelines.checks import all_checks, evaluate
from pipelines.cli import main
from tests.conftest import Project, failed_checks
from tests.fake_apis.hubspot import FakeHubSpot

TOKEN = "pat-na1-0123-secret-token-4567"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def hubspot():
    fake = FakeHubSpot(token=TOKEN)
    yield fake
    fake.stop()


def add_deal(fake: FakeHubSpot, deal_id: str, stage: str, closed: str | None, company: str | None = None,
             **properties) -> None:
    moment = datetime.fromisoformat((closed or "2025-01-20T10:00:00Z").replace("Z", "+00:00"))
    fake.add("deals", deal_id, moment, created_at=datetime(2025, 1, 10, tzinfo=UTC), dealstage=stage,
             pipeline="default", **({"closedate": closed} if closed else {}), **properties)
    if company:
        fake.link(deal_id, company_id=company)


def test_a_normal_crm_only_warns_and_a_wrong_number_fails_the_run(tmp_path, hubspot, monkeypatch, capsys):
    hubspot.add("contacts", "1", T0, createdate="2025-01-06T09:00:00Z")
    hubspot.add("companies", "501", T0, name="Acme")
    add_deal(hubspot, "10", "closedwon", "2025-02-01T10:00:00Z", company="501", amount="1200")
    add_deal(hubspot, "11", "appointmentscheduled", None, company="501")  # open, no amount yet
    add_deal(hubspot, "12", "closedlost", "2025-02-20T10:00:00Z", amount="900")  # lost, no company or contact
    add_deal(hubspot, "13", "appointmentscheduled", None)  # open, neither
    for name, value in {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": hubspot.start(),
                        "PAYBACK_DUCKDB_PATH": str(tmp_path / "p.duckdb"),
                        "PAYBACK_EXPORTS_DIR": str(tmp_path / "exports"),
                        "DAGSTER_HOME": str(tmp_path / "dagster_home")}.items():
        monkeypatch.setenv(name, value)

    assert main(["run"]) == 0
    out = capsys.readouterr().out
    # Deals 11 and 13 have no amount, 12 and 13 no company or contact: counted, not failed.
    assert "WARN   staging/deals open_and_lost_deals_have_amount: 2 rows" in out
    assert "WARN   staging/deals open_and_lost_deals_have_account: 2 rows" in out
    assert ", 2 WARN, 0 ERROR" in out
    assert "FX" not in out and "export files" not in out

    # A won deal without an amount, and a won deal in a currency with no rate: two published numbers wrong.
    add_deal(hubspot, "14", "closedwon", "2025-03-05T10:00:00Z", company="501")
    add_deal(hubspot, "15", "closedwon", "2025-03-10T10:00:00Z", company="501", amount="50000",
             deal_currency_code="JPY")
    assert main(["run"]) == 1
    captured = capsys.readouterr()
    assert "ERROR  staging/deals won_deals_complete: 1 row\n           14: won deal without amount\n" in captured.out
    assert ("ERROR  staging/deals currency_convertible: 1 row\n"
            "           15: no FX rate from JPY to EUR on or before 2025-03-10\n") in captured.out
    assert ", 2 WARN, 2 ERROR" in captured.out
    assert ("payback: 2 ERROR checks failed (staging/deals currency_convertible, staging/deals "
            "won_deals_complete)") in captured.err
    # Dagster records the run as failed, yet every table was rebuilt from the good rows: 14 and 15 reached the
    # revenue, without an amount in the reporting currency (left out of every total).
    with DagsterInstance.get() as instance:
        statuses = [run.status for run in instance.get_runs()]
    # Newest first: each `payback run` is a sync run, then a rebuild run.
    assert statuses == [DagsterRunStatus.FAILURE] + [DagsterRunStatus.SUCCESS] * 3
    assert main(["query", "select revenue_id, revenue_reporting from intermediate.revenue_events order by 1",
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["revenue_id,revenue_reporting", "10,1200.0", "14,", "15,"]


def test_reporting_currency_without_any_rate_is_one_configuration_problem(tmp_path):
    project = Project(tmp_path, REPORTING_CURRENCY="GBP")
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2025-01-01,EUR,USD,1.25
    """)
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        d1,A,2025-01-05,won,2025-01-20,100,EUR
        d2,B,2025-01-05,won,2025-01-21,100,USD
        d3,C,2025-01-05,open,,100,USD
    """)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency
        2025-01-10,google_ads,g1,100,EUR
        2025-01-11,google_ads,g1,100,USD
    """)
    failed = failed_checks(project.run())
    # One failure naming the variable, not one per amount: the won deals (EUR, USD) and the spend (EUR, USD)
    # count; the open deal d3 does not.
    assert list(failed) == ["staging/fx:reporting_currency_has_rates"]
    check = failed["staging/fx:reporting_currency_has_rates"]
    assert check.metadata["failing_keys"].value == (
        "- REPORTING_CURRENCY=GBP: no FX rate involves GBP (the rates quote EUR, USD): 4 amount(s) in EUR, USD "
        "cannot be converted")
    assert check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["fix"].value.startswith("Configuration: set REPORTING_CURRENCY")


def test_only_amounts_that_count_must_convert_and_be_numbers(tmp_path):
    project = Project(tmp_path)
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2025-01-01,EUR,USD,1.25
    """)
    project.write("deals.csv", """
        deal_id,company_id,created_at,status,closed_at,amount,currency
        d1,A,2025-01-05,won,2025-01-20,100,USD
        d2,B,2025-01-05,open,,5000,JPY
        d3,C,2025-01-05,lost,2025-01-25,5000,JPY
        d4,D,2025-01-05,won,2025-01-26,5000,JPY
    """)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency
        2025-01-10,google_ads,g1,100,EUR
        2025-01-11,google_ads,g1,inf,EUR
    """)
    failed = failed_checks(project.run())
    # d1 converts at 0.8; d2 and d3 count in no published number, so their JPY is no error; d4 is a win in JPY.
    # A and D are January's two new customers.
    assert failed["staging/deals:currency_convertible"].metadata["failing_keys"].value == (
        "- d4: no FX rate from JPY to EUR on or before 2025-01-26")
    # An infinite spend would make every total infinite: the export's row is rejected at the door, named, and left
    # out of the total (100).
    assert failed["raw_exports/ad_spend:no_rejects"].metadata["failing_keys"].value == (
        "- ad_spend.csv:3: not a finite number in spend: inf")
    assert project.one("SELECT paid_spend, cac FROM marts.cac WHERE period_grain = 'month' "
                       "AND period_start = '2025-01-01'") == (100, 50)
    assert set(failed) == {"staging/deals:currency_convertible", "raw_exports/ad_spend:no_rejects"}


def test_each_check_has_the_severity_of_what_a_failure_means():
    severities = {f"{'/'.join(c.table)}:{c.name}": c.severity.value for c in all_checks()}
    # WARN: the normal state of a CRM, files Payback does not read, and values the channel map does not know.
    assert {key for key, severity in severities.items() if severity == "WARN"} == {
        "staging/deals:open_and_lost_deals_have_amount", "staging/deals:open_and_lost_deals_have_account",
        "raw_exports/rejects:no_rejects", "staging/channels:channel_values_mapped"}
    # ERROR: a rejected row of any kind (each kind feeds a published number), a duplicate key, a won deal
    # without amount or account, an amount that counts but does not convert, negative spend.
    for key in ("raw_exports/contacts:no_rejects", "raw_exports/deals:no_rejects", "staging/deals:won_deals_complete",
                "staging/touchpoints:primary_key_unique_not_null", "staging/orders:currency_convertible",
                "staging/spend:spend_not_negative", "staging/fx:reporting_currency_has_rates"):
        assert severities[key] == "ERROR", key


def test_a_staging_models_declared_key_and_required_columns_are_checked_where_its_sources_meet():
    """staging/*/deals.sql declare `-- key: deal_id` and `-- required: status, created_at`. Deal 7 is in two
    sources (counted twice), one HubSpot deal has no id, deal 8 has no status nor creation date."""
    checks = {check.name: check for check in all_checks() if check.table == ("staging", "deals")}
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("""CREATE TABLE staging.deals AS FROM (VALUES
            ('7', 'exports', 'won', TIMESTAMP '2025-01-05'), ('7', 'hubspot', 'won', TIMESTAMP '2025-01-06'),
            (NULL, 'hubspot', 'open', TIMESTAMP '2025-01-07'), ('8', 'exports', NULL, NULL),
            ('9', 'pipedrive', 'lost', TIMESTAMP '2025-01-08')) AS t(deal_id, source_system, status, created_at)""")
        key = evaluate(con, checks["primary_key_unique_not_null"])
        required = evaluate(con, checks["required_fields_present"])
    assert key.metadata["failing_keys"].value == ("- 7: 2 rows share this key (from exports, hubspot)\n"
                                                 "- NULL: no deal_id")
    assert required.metadata["failing_keys"].value == "- 8: missing status, created_at"
    assert key.severity == required.severity == AssetCheckSeverity.ERROR
    assert "transforms/staging/*/deals.sql" in checks["primary_key_unique_not_null"].description
    assert key.metadata["fix"].value.startswith("Remove the duplicate of each record named, or give the record its id")

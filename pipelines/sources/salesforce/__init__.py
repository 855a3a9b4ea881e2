"""Salesforce: Opportunity, Account, Contact, Lead, OpportunityContactRole, Campaign and CampaignMember through
SOQL (`queryAll`, paged by `nextRecordsUrl`), incremental on SystemModstamp minus a lookback, merged by Id;
deleted records kept with `is_deleted = true`; CurrencyIsoCode loaded when the org has several currencies."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dlt
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import HTTPError

from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.rest import retrying_client
from pipelines.sources.salesforce.helpers import (
    SalesforceOAuth,
    explain_error,
    has_field,
    parse_datetime,
    query_all,
)
from pipelines.sources.salesforce.settings import (
    CURSOR_FIELD,
    DATASET,
    MULTI_CURRENCY_OBJECTS,
    OBJECTS,
    SalesforceSettings,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _row(record: dict) -> dict:
    row = {key: value for key, value in record.items() if key != "attributes"}
    row["is_deleted"] = bool(row.pop("IsDeleted", False))
    row["updated_at"] = parse_datetime(row.pop(CURSOR_FIELD))
    return row


def _object_resource(client, sobject: str, table: str, fields: list[str], lookback: timedelta):
    lag_seconds = lookback.total_seconds()
    columns = {field: {"data_type": "text"} for field in fields}
    columns.update({"is_deleted": {"data_type": "bool"},
                    "updated_at": {"data_type": "timestamp", "timezone": False}})
    for flag in ("IsClosed", "IsWon", "IsPrimary", "IsConverted"):
        if flag in columns:
            columns[flag] = {"data_type": "bool"}
    for number in ("Amount", "NumberOfEmployees"):
        if number in columns:
            columns[number] = {"data_type": "double"}
    if sobject in MULTI_CURRENCY_OBJECTS:
        columns["CurrencyIsoCode"] = {"data_type": "text"}  # a column even in single-currency orgs

    @dlt.resource(name=table, primary_key="Id", write_disposition="merge", columns=columns)
    def records(updated_at=dlt.sources.incremental("updated_at", initial_value=EPOCH, lag=lag_seconds)
                ) -> Iterator[list[dict]]:
        """Modified since the last sync (dlt's `lag` moves the start back by the lookback), deleted ones too."""
        try:
            wanted = list(fields)
            if sobject in MULTI_CURRENCY_OBJECTS and has_field(client, sobject, "CurrencyIsoCode"):
                wanted.append("CurrencyIsoCode")
            start = updated_at.start_value
            for page in query_all(client, sobject, wanted, start if start.tzinfo else start.replace(tzinfo=UTC)):
                yield [_row(record) for record in page]
        except HTTPError as error:
            raise explain_error(error) from None

    return records


@dlt.source(name="salesforce", max_table_nesting=0)
def salesforce_source(instance_url: str = dlt.config.value, access_token: str | None = None,
                      client_id: str | None = None, client_secret: str | None = None,
                      refresh_token: str | None = None, token_url: str | None = None,
                      lookback_minutes: float = 60, max_attempts: int = 6, backoff_factor: float = 1.0,
                      max_retry_delay: float = 60.0):
    """Salesforce objects for deals, accounts, people and campaign touchpoints. With no access token, the first
    request obtains one by the client-credentials flow (or the refresh-token flow when a refresh token is given):
    building the source touches no network. The token request is retried on 429 and 5xx like any other; an
    unreachable token URL is a wrong setting, reported at once."""
    if access_token:
        auth = BearerTokenAuth(access_token)
    else:
        token_session = Client(raise_for_status=False, request_max_attempts=max_attempts,
                               request_backoff_factor=backoff_factor, request_max_retry_delay=max_retry_delay,
                               exceptions=[]).session
        auth = SalesforceOAuth(access_token_url=token_url or f"{instance_url.rstrip('/')}/services/oauth2/token",
                               client_id=client_id, client_secret=client_secret, refresh_token=refresh_token,
                               session=token_session)
    client = retrying_client(instance_url, auth, max_attempts, backoff_factor, max_retry_delay)
    lookback = timedelta(minutes=lookback_minutes)
    return [_object_resource(client, sobject, table, fields, lookback)
            for sobject, (table, fields) in OBJECTS.items()]


def _build(config: SalesforceSettings, _settings):
    def secret(value):
        return value.get_secret_value() if value else None

    return salesforce_source(instance_url=config.instance_url, access_token=secret(config.access_token),
                             client_id=secret(config.client_id), client_secret=secret(config.client_secret),
                             refresh_token=secret(config.refresh_token), token_url=config.token_url,
                             lookback_minutes=config.lookback_minutes)


SOURCE = SourceDeclaration(
    name="salesforce",
    title="Salesforce",
    dataset=DATASET,
    settings=SalesforceSettings,
    build=_build,
    test_server="tests.fake_apis.salesforce:FakeSalesforce",
)

"""Salesforce: Opportunity, Account, Contact, Lead, OpportunityContactRole, Campaign and CampaignMember through
SOQL (`queryAll`, paged by `nextRecordsUrl`), incremental on SystemModstamp minus a lookback, merged by Id;
deleted records kept with `is_deleted = true`; CurrencyIsoCode loaded when the org has several currencies."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import HTTPError

from pipelines.sources.rest import retrying_client
from pipelines.sources.salesforce.helpers import (
    explain_error,
    fetch_access_token,
    has_field,
    parse_datetime,
    query_all,
)
from pipelines.sources.salesforce.settings import CURSOR_FIELD, MULTI_CURRENCY_OBJECTS, OBJECTS

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
    """Salesforce objects for deals, accounts, people and campaign touchpoints. With no access token, one is
    obtained by the client-credentials flow (or the refresh-token flow when a refresh token is given)."""
    if not access_token:
        bootstrap = retrying_client(instance_url, None, max_attempts, backoff_factor, max_retry_delay)
        access_token = fetch_access_token(bootstrap, token_url or f"{instance_url.rstrip('/')}/services/oauth2/token",
                                          client_id, client_secret, refresh_token)
    client = retrying_client(instance_url, BearerTokenAuth(access_token), max_attempts, backoff_factor,
                             max_retry_delay)
    lookback = timedelta(minutes=lookback_minutes)
    return [_object_resource(client, sobject, table, fields, lookback)
            for sobject, (table, fields) in OBJECTS.items()]

"""Pipedrive: deals (with won/lost status and times and each deal's own currency), persons, organizations
and stages, through API v2 cursor pagination, incremental on `updated_since` (minus a lookback), merged by id.
Deleted deals are fetched too (`status=deleted`) and kept with `is_deleted = true`."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dlt
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import HTTPError

from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.pipedrive.settings import (
    DATASET,
    ENDPOINTS,
    PAGE_SIZE,
    STAGES_ENDPOINT,
    TOKEN_VARIABLE,
    PipedriveSettings,
)
from pipelines.sources.rest import explain, retrying_client

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _explain(error: HTTPError):
    return explain(error, "Pipedrive", TOKEN_VARIABLE, "an API token (Personal preferences → API)")


def _cursor() -> JSONResponseCursorPaginator:
    """v2 paging: `additional_data.next_cursor` back as `?cursor=`; null on the last page."""
    return JSONResponseCursorPaginator(cursor_path="additional_data.next_cursor", cursor_param="cursor")


def _rfc3339(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated(record: dict) -> dict:
    record["updated_at"] = datetime.fromisoformat(record["update_time"].replace("Z", "+00:00"))
    return record


def _entity_resource(client, name: str, path: str, columns: dict, lookback: timedelta):
    hints = {column: {"data_type": kind} for column, kind in columns.items()}
    hints["updated_at"] = {"data_type": "timestamp", "timezone": False}
    lag_seconds = lookback.total_seconds()

    @dlt.resource(name=name, primary_key="id", write_disposition="merge", columns=hints)
    def entities(updated_at=dlt.sources.incremental("updated_at", initial_value=EPOCH, lag=lag_seconds)
                 ) -> Iterator[list[dict]]:
        """Changed since the last sync (dlt's `lag` moves the start back by the lookback), oldest first."""
        params = {"limit": PAGE_SIZE, "sort_by": "update_time", "sort_direction": "asc",
                  "updated_since": _rfc3339(updated_at.start_value)}
        statuses = [None, "deleted"] if name == "deals" else [None]
        try:
            for status in statuses:
                query = {**params, **({"status": status} if status else {})}
                for page in client.paginate(path, params=query, data_selector="data", paginator=_cursor()):
                    yield [_updated({**record, **({"is_deleted": True} if status else {})}) for record in page]
        except HTTPError as error:
            raise _explain(error) from None

    return entities


@dlt.source(name="pipedrive", max_table_nesting=0)
def pipedrive_source(api_token: str = dlt.secrets.value, base_url: str = "", lookback_minutes: float = 60,
                     max_attempts: int = 6, backoff_factor: float = 1.0, max_retry_delay: float = 60.0):
    """Deals, persons, organizations and stages from Pipedrive. `base_url` is https://<company>.pipedrive.com."""
    client = retrying_client(base_url, APIKeyAuth(name="x-api-token", api_key=api_token, location="header"),
                             max_attempts, backoff_factor, max_retry_delay)
    lookback = timedelta(minutes=lookback_minutes)
    resources = [_entity_resource(client, name, path, columns, lookback)
                 for name, (path, columns) in ENDPOINTS.items()]

    @dlt.resource(name="stages", primary_key="id", write_disposition="replace")
    def stages() -> Iterator[list[dict]]:
        """Pipeline stages (small: read whole each sync)."""
        try:
            yield from client.paginate(STAGES_ENDPOINT, params={"limit": PAGE_SIZE}, data_selector="data",
                                       paginator=_cursor())
        except HTTPError as error:
            raise _explain(error) from None

    return [*resources, stages]


SOURCE = SourceDeclaration(
    name="pipedrive",
    title="Pipedrive",
    dataset=DATASET,
    settings=PipedriveSettings,
    build=lambda config, _: pipedrive_source(api_token=config.api_token.get_secret_value(), base_url=config.url,
                                             lookback_minutes=config.lookback_minutes),
    test_server="tests.fake_apis.pipedrive:FakePipedrive",
)

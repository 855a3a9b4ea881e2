"""HubSpot's API quirks: bearer auth, retries that honour Retry-After, the search cap, associations, errors.

Everything here goes through dlt's REST client and its retrying session, never hand-rolled loops over raw HTTP.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import HTTPError

from pipelines.sources.hubspot.settings import (
    ASSOCIATION_BATCH,
    LAST_MODIFIED,
    REQUIRED_SCOPES,
    SEARCH_PAGE_SIZE,
    TOKEN_VARIABLE,
)
from pipelines.sources.rest import SourceError, checked, explain, retrying_client


def make_client(access_token: str, base_url: str, max_attempts: int, backoff_factor: float,
                max_retry_delay: float, requests_per_second: float | None) -> RESTClient:
    return retrying_client(base_url, BearerTokenAuth(access_token), max_attempts, backoff_factor, max_retry_delay,
                           requests_per_second)


def explain_error(error: HTTPError) -> SourceError:
    return explain(error, "HubSpot", TOKEN_VARIABLE,
                   f"a private app access token with the scopes {', '.join(REQUIRED_SCOPES)}")


def to_millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def flatten(record: dict, archived: bool | None = None) -> dict:
    """One row per object: its id, its properties (all strings in HubSpot) and its lifecycle timestamps."""
    return {
        "id": record["id"],
        **record.get("properties", {}),
        "created_at": record.get("createdAt"),
        "updated_at": datetime.fromisoformat(record["updatedAt"].replace("Z", "+00:00")),
        "archived": record.get("archived", False) if archived is None else archived,
        "archived_at": record.get("archivedAt"),
    }


def search_modified(client: RESTClient, object_type: str, properties: list[str], start_ms: int, end_ms: int,
                    result_cap: int) -> Iterator[list[dict]]:
    """Pages of the objects modified in [start_ms, end_ms), oldest first. The search stops paging at
    `result_cap` results, so before reaching it the window restarts at the last modification time seen: records
    at that instant come twice (the merge keeps one), none is ever skipped."""
    modified = LAST_MODIFIED[object_type]
    paginator = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_body_path="after")
    while True:
        body = {
            "filterGroups": [{"filters": [
                {"propertyName": modified, "operator": "GTE", "value": str(start_ms)},
                {"propertyName": modified, "operator": "LT", "value": str(end_ms)},
            ]}],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": SEARCH_PAGE_SIZE,
        }
        seen, last_ms, total = 0, start_ms, 0
        for page in client.paginate(f"/crm/v3/objects/{object_type}/search", method="POST", json=body,
                                    paginator=paginator, data_selector="results"):
            total = page.response.json().get("total", 0)
            records = list(page)
            yield records
            seen += len(records)
            if records:
                last_ms = to_millis(datetime.fromisoformat(records[-1]["updatedAt"].replace("Z", "+00:00")))
            if seen + SEARCH_PAGE_SIZE > result_cap:
                break  # the next page would pass the cap
        if total <= seen:
            return
        if last_ms <= start_ms:
            raise SourceError(f"more than {result_cap} {object_type} were modified at the same instant")
        start_ms = last_ms


def list_archived(client: RESTClient, object_type: str, properties: list[str]) -> Iterator[list[dict]]:
    """Pages of archived (deleted) objects: the search endpoint never returns them."""
    paginator = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")
    yield from client.paginate(f"/crm/v3/objects/{object_type}", params={
        "archived": "true", "limit": SEARCH_PAGE_SIZE, "properties": ",".join(properties)},
        paginator=paginator, data_selector="results")


def associations(client: RESTClient, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
    """For each object id, the ids of its associated `to_type` objects (v4 batch read)."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), ASSOCIATION_BATCH):
        batch = ids[start:start + ASSOCIATION_BATCH]
        response = checked(client.post(f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
                                       json={"inputs": [{"id": i} for i in batch]}))
        for result in response.json().get("results", []):
            found[str(result["from"]["id"])] = [str(to["toObjectId"]) for to in result.get("to", [])]
    return found


def now_utc() -> datetime:
    return datetime.now(UTC)

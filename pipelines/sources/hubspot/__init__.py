"""HubSpot CRM: deals, contacts, companies (with associations and archived records) and deal pipelines.

Incremental through the search endpoint on each object's last-modified property, oldest first, from the last
cursor minus a lookback; merged by id, so a re-sync or a re-run after a crash never duplicates. Archived objects
are kept and marked `archived = true`. Merged contacts list the ids they absorbed in `hs_merged_object_ids`,
which staging resolves to the surviving contact.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dlt
from requests import HTTPError

from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.hubspot.helpers import (
    associations,
    explain_error,
    flatten,
    list_archived,
    make_client,
    now_utc,
    search_modified,
    to_millis,
)
from pipelines.sources.hubspot.settings import (
    DATASET,
    DEAL_ASSOCIATIONS,
    DEFAULT_BASE_URL,
    PROPERTIES,
    REQUESTS_PER_SECOND,
    SEARCH_RESULT_CAP,
    HubSpotSettings,
)
from pipelines.sources.rest import checked

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SINGULAR = {"contacts": "contact", "companies": "company"}


def _object_resource(client, object_type: str, properties: list[str], lookback: timedelta, result_cap: int):
    lag_seconds = lookback.total_seconds()

    # Every property is declared (HubSpot sends them all as strings), so a property that is empty everywhere
    # still becomes a column and staging can read it.
    columns = {name: {"data_type": "text"} for name in properties}
    columns.update({"id": {"data_type": "text"}, "created_at": {"data_type": "text"},
                    "updated_at": {"data_type": "timestamp", "timezone": False},
                    "archived": {"data_type": "bool"}, "archived_at": {"data_type": "text"}})
    if object_type == "deals":
        for to_type in DEAL_ASSOCIATIONS:
            columns[f"{to_type}_ids"] = {"data_type": "text"}
            columns[f"primary_{SINGULAR[to_type]}_id"] = {"data_type": "text"}

    @dlt.resource(name=object_type, primary_key="id", write_disposition="merge", columns=columns)
    def objects(updated_at=dlt.sources.incremental("updated_at", initial_value=EPOCH, lag=lag_seconds)
                ) -> Iterator[list[dict]]:
        """Modified since the last sync (dlt's `lag` moves the start back by the lookback), oldest first; then
        the archived ones."""
        start_ms = max(to_millis(_aware(updated_at.start_value)), 0)
        end_ms = to_millis(now_utc()) + 1
        try:
            for page in search_modified(client, object_type, properties, start_ms, end_ms, result_cap):
                rows = [flatten(record) for record in page]
                if object_type == "deals" and rows:
                    _add_associations(client, rows)
                yield rows
            for page in list_archived(client, object_type, properties):
                rows = [flatten(record, archived=True) for record in page]
                if object_type == "deals" and rows:
                    _add_associations(client, rows)
                yield rows
        except HTTPError as error:
            raise explain_error(error) from None

    return objects


def _aware(value: datetime) -> datetime:
    """dlt may hand back the cursor without its time zone (it stores UTC): say it is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _add_associations(client, rows: list[dict]) -> None:
    ids = [row["id"] for row in rows]
    for to_type in DEAL_ASSOCIATIONS:
        found = associations(client, "deals", to_type, ids)
        for row in rows:
            linked = found.get(row["id"], [])
            row[f"{to_type}_ids"] = ";".join(linked)
            row[f"primary_{SINGULAR[to_type]}_id"] = linked[0] if linked else None


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot_source(access_token: str = dlt.secrets.value, base_url: str = DEFAULT_BASE_URL,
                   extra_properties: tuple[str, ...] = (), lookback_minutes: float = 60,
                   result_cap: int = SEARCH_RESULT_CAP, max_attempts: int = 6, backoff_factor: float = 1.0,
                   max_retry_delay: float = 60.0, requests_per_second: float | None = REQUESTS_PER_SECOND):
    """Deals, contacts, companies and deal pipelines from HubSpot."""
    client = make_client(access_token, base_url, max_attempts, backoff_factor, max_retry_delay, requests_per_second)
    lookback = timedelta(minutes=lookback_minutes)
    resources = [_object_resource(client, object_type, [*properties, *extra_properties], lookback, result_cap)
                 for object_type, properties in PROPERTIES.items()]

    @dlt.resource(name="deal_pipelines", primary_key="stage_id", write_disposition="replace")
    def deal_pipelines() -> Iterator[list[dict]]:
        """Deal stages with whether they close the deal and whether that is a win (probability 1)."""
        try:
            response = checked(client.get("/crm/v3/pipelines/deals"))
        except HTTPError as error:
            raise explain_error(error) from None
        yield [{"pipeline_id": pipeline["id"], "pipeline_label": pipeline.get("label"), "stage_id": stage["id"],
                "stage_label": stage.get("label"),
                "is_closed": str(stage.get("metadata", {}).get("isClosed", "false")).lower() == "true",
                "probability": float(stage.get("metadata", {}).get("probability") or 0)}
               for pipeline in response.json().get("results", []) for stage in pipeline.get("stages", [])]

    return [*resources, deal_pipelines]


SOURCE = SourceDeclaration(
    name="hubspot",
    title="HubSpot",
    dataset=DATASET,
    settings=HubSpotSettings,
    build=lambda config, _: hubspot_source(access_token=config.access_token.get_secret_value(),
                                           base_url=config.base_url, extra_properties=config.extra_properties,
                                           lookback_minutes=config.lookback_minutes),
    test_server="tests.fake_apis.hubspot:FakeHubSpot",
)

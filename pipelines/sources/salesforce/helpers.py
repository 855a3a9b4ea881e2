"""Salesforce's quirks: OAuth flows for the access token, SOQL paged by `nextRecordsUrl`, `queryAll` for
deleted records, datetimes like 2024-03-29T16:02:11.000+0000."""

from collections.abc import Iterator
from datetime import UTC, datetime

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import HTTPError

from pipelines.sources.rest import SourceError, checked, explain
from pipelines.sources.salesforce.settings import API_VERSION, CURSOR_FIELD, TOKEN_VARIABLES


def explain_error(error: HTTPError) -> SourceError:
    """Salesforce answers an exhausted API quota with 403 REQUEST_LIMIT_EXCEEDED: that is not a token problem."""
    if error.response is not None and "REQUEST_LIMIT_EXCEEDED" in error.response.text:
        return SourceError("Salesforce API request limit exceeded (the org's 24-hour quota, see the "
                           "Sforce-Limit-Info header); what was loaded is kept, run the sync again later")
    return explain(error, "Salesforce", TOKEN_VARIABLES, "a valid token for SALESFORCE_INSTANCE_URL")


def parse_datetime(value: str | None) -> datetime | None:
    """2024-03-29T16:02:11.000+0000 (no colon in the offset) or …Z."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text)


def soql_datetime(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_access_token(client: RESTClient, token_url: str, client_id: str, client_secret: str,
                       refresh_token: str | None) -> str:
    """An access token from the OAuth client-credentials flow, or the refresh-token flow when one is given."""
    form = {"client_id": client_id, "client_secret": client_secret,
            "grant_type": "refresh_token" if refresh_token else "client_credentials"}
    if refresh_token:
        form["refresh_token"] = refresh_token
    try:
        response = checked(client.session.post(token_url, data=form))
    except HTTPError as error:
        raise SourceError(f"Salesforce refused the OAuth {form['grant_type']} flow (HTTP "
                          f"{error.response.status_code}): check SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET"
                          f"{' and SALESFORCE_REFRESH_TOKEN' if refresh_token else ''}") from None
    return response.json()["access_token"]


def has_field(client: RESTClient, sobject: str, field: str) -> bool:
    described = checked(client.get(f"/services/data/{API_VERSION}/sobjects/{sobject}/describe")).json()
    return any(f.get("name") == field for f in described.get("fields", []))


def query_all(client: RESTClient, sobject: str, fields: list[str], since: datetime) -> Iterator[list[dict]]:
    """Pages of the records modified since `since`, oldest first, deleted ones included (`queryAll`, IsDeleted).
    Salesforce pages with `nextRecordsUrl` until `done`."""
    soql = (f"SELECT {', '.join([*fields, 'IsDeleted', CURSOR_FIELD])} FROM {sobject} "
            f"WHERE {CURSOR_FIELD} >= {soql_datetime(since)} ORDER BY {CURSOR_FIELD} ASC")
    yield from client.paginate(f"/services/data/{API_VERSION}/queryAll", params={"q": soql},
                               paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"), data_selector="records")

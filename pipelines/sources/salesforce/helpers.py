"""Salesforce's quirks: OAuth flows for the access token, SOQL paged by `nextRecordsUrl`, `queryAll` for
deleted records, datetimes like 2024-03-29T16:02:11.000+0000."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import HTTPError, RequestException

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


@configspec
class SalesforceOAuth(OAuth2ClientCredentials):
    """dlt's client-credentials auth (the token is fetched by the first request, when the sync runs, and again
    when it expires), with Salesforce's refresh-token flow when a refresh token is given, and a failure told in
    one line that names what to check."""

    refresh_token: TSecretStrValue | None = None

    def build_access_token_request(self) -> dict[str, Any]:
        request = super().build_access_token_request()
        if self.refresh_token:
            request["data"].update(grant_type="refresh_token", refresh_token=self.refresh_token)
        return request

    def obtain_token(self) -> None:
        flow = "refresh_token" if self.refresh_token else "client_credentials"
        try:
            super().obtain_token()
        except HTTPError as error:
            status = error.response.status_code
            if status >= 500 or status == 429:
                raise SourceError(f"the Salesforce token URL {self.access_token_url} answered HTTP {status} after "
                                  "retries; nothing was loaded, run the sync again") from None
            raise SourceError(f"Salesforce refused the OAuth {flow} flow (HTTP {status}): check "
                              f"SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET"
                              f"{' and SALESFORCE_REFRESH_TOKEN' if self.refresh_token else ''}") from None
        except RequestException as error:
            raise SourceError(f"the Salesforce token URL {self.access_token_url} cannot be reached "
                              f"({type(error).__name__}): check SALESFORCE_TOKEN_URL (default "
                              "<SALESFORCE_INSTANCE_URL>/services/oauth2/token)") from None


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

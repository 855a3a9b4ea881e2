"""Google Ads API quirks: an access token from the OAuth refresh token (fetched at the first request, renewed when
it expires), the `developer-token` and `login-customer-id` headers, searchStream's array of result batches, int64
values as JSON strings and zero metrics left out, the wait asked in a 429's body, errors that name the variable."""

import math
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from dlt.common.configuration.specs.base_configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator
from requests import HTTPError, PreparedRequest, RequestException

from pipelines.sources.google_ads.settings import GAQL, PLATFORM
from pipelines.sources.rest import RateLimitAwareAdapter, SourceError, explain


@configspec
class GoogleAdsAuth(OAuth2ClientCredentials):
    """dlt's OAuth2 flow with the refresh-token grant: the token endpoint is asked at the first request (never when
    the source is built) and again when the access token expires. Every request also carries the developer token
    and, for access through a manager account, its id: sent here rather than as client headers, so that no log of
    the request's headers shows them."""

    refresh_token: TSecretStrValue = None
    developer_token: TSecretStrValue = None
    login_customer_id: str | None = None

    def build_access_token_request(self) -> dict[str, Any]:
        return {"headers": {"Content-Type": "application/x-www-form-urlencoded"},
                "data": {"client_id": self.client_id, "client_secret": self.client_secret,
                         "refresh_token": self.refresh_token, "grant_type": "refresh_token"}}

    def obtain_token(self) -> None:
        """A failure told in one line that names what to check: the OAuth client, the refresh token, or the token
        URL (unreachable, or failing after retries)."""
        try:
            super().obtain_token()
        except HTTPError as error:
            status, body = error.response.status_code, error.response.text
            if status >= 500 or status == 429:
                raise SourceError(f"the Google OAuth token URL {self.access_token_url} answered HTTP {status} after "
                                  "retries; nothing was loaded, run the sync again") from None
            if "invalid_client" in body or "unauthorized_client" in body:
                raise SourceError(f"Google refused the OAuth client (HTTP {status}): set GOOGLE_ADS_CLIENT_ID and "
                                  "GOOGLE_ADS_CLIENT_SECRET to the client the refresh token was issued to") from None
            raise SourceError(f"Google refused the refresh token (HTTP {status}): set GOOGLE_ADS_REFRESH_TOKEN to a "
                              "new refresh token (scope https://www.googleapis.com/auth/adwords)") from None
        except RequestException as error:
            raise SourceError(f"the Google OAuth token URL {self.access_token_url} cannot be reached "
                              f"({type(error).__name__}): check GOOGLE_OAUTH_TOKEN_URL") from None

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request = super().__call__(request)
        request.headers["developer-token"] = self.developer_token
        if self.login_customer_id:
            request.headers["login-customer-id"] = self.login_customer_id
        return request


class RetryDelayAdapter(RateLimitAwareAdapter):
    """Google answers a rate limit with 429 RESOURCE_EXHAUSTED and says how long to wait in its body
    (`"retryDelay": "30s"`), not in a header: that wait becomes the Retry-After the session's retry honours."""

    def send(self, *args, **kwargs):
        response = super().send(*args, **kwargs)
        if response.status_code == 429 and "Retry-After" not in response.headers:
            match = re.search(r'"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"', response.text)
            if match:
                response.headers["Retry-After"] = str(max(1, math.ceil(float(match.group(1)))))
        return response


def explain_error(error: HTTPError) -> SourceError:
    """One line naming what to fix when the API refuses: the developer token, the manager account or the user's
    access (the token endpoint's refusals are told by `GoogleAdsAuth`)."""
    response = error.response
    status = response.status_code if response is not None else None
    body = response.text if response is not None else ""
    if status in (401, 403) and "DEVELOPER_TOKEN" in body:
        return explain(error, "Google Ads", "GOOGLE_ADS_DEVELOPER_TOKEN",
                       "a developer token approved for the API (API Center, Basic access or more)")
    if status == 403 and ("USER_PERMISSION_DENIED" in body or "LOGIN_CUSTOMER_ID" in body):
        customer = re.search(r"/customers/(\d+)/", response.url)
        return SourceError(f"Google Ads refused access to customer {customer.group(1) if customer else '?'} "
                           f"(HTTP 403): set GOOGLE_ADS_LOGIN_CUSTOMER_ID to the manager account the user reaches it "
                           "through, or remove it from GOOGLE_ADS_CUSTOMER_IDS")
    if status in (401, 403):
        return explain(error, "Google Ads", "GOOGLE_ADS_REFRESH_TOKEN",
                       "a refresh token of a user with access to GOOGLE_ADS_CUSTOMER_IDS")
    if status == 429:
        return SourceError("Google Ads API quota exhausted (HTTP 429 RESOURCE_EXHAUSTED) after retries; what was "
                           "loaded is kept, run the sync again later")
    return explain(error, "Google Ads", "GOOGLE_ADS_REFRESH_TOKEN", "")


def _int(value: Any) -> int:
    """An int64 (a JSON string); an omitted metric is zero (proto3 JSON leaves zero values out)."""
    return int(value) if value is not None else 0


def campaign_rows(client: RESTClient, customer_id: str, first: date, last: date) -> Iterator[list[dict]]:
    """Rows of one customer's campaigns for the days first..last (one searchStream: a JSON array of batches)."""
    query = GAQL.format(first=first.isoformat(), last=last.isoformat())
    for page in client.paginate(f"/customers/{customer_id}/googleAds:searchStream", method="POST",
                                json={"query": query}, paginator=SinglePagePaginator(),
                                data_selector="[*].results[*]"):
        yield [_row(result, customer_id) for result in page]


def _row(result: dict, customer_id: str) -> dict:
    customer, campaign = result.get("customer", {}), result.get("campaign", {})
    metrics = result.get("metrics", {})
    return {
        "platform": PLATFORM,
        "account_id": str(customer.get("id") or customer_id),
        "campaign_id": str(campaign["id"]),
        "date": date.fromisoformat(result["segments"]["date"]),
        "campaign_name": campaign.get("name"),
        "currency": customer.get("currencyCode"),
        "cost_micros": _int(metrics.get("costMicros")),
        "impressions": _int(metrics.get("impressions")),
        "clicks": _int(metrics.get("clicks")),
        "conversions": float(metrics.get("conversions") or 0.0),
        "conversions_value": float(metrics.get("conversionsValue") or 0.0),
    }

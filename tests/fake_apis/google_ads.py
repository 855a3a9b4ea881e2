"""A Google Ads REST server on 127.0.0.1 for tests (../shared/api-formats, section e): the OAuth token endpoint
(refresh-token grant), `customers/{id}/googleAds:searchStream` answering a GAQL campaign report as a JSON array of
result batches, int64 values as strings and zero metrics left out (proto3 JSON), the `developer-token` and
`login-customer-id` headers, 429 RESOURCE_EXHAUSTED with its retryDelay in the body, 401/403 error bodies, and a
rate limit metered as Google meters it."""

import math
import re
import time
from dataclasses import dataclass, field
from datetime import date

from tests.fake_apis.base import FakeApi

VERSION = "v25"
# Google publishes no fixed QPS for GoogleAdsService: requests are metered per customer id and per developer token
# by a token bucket whose rate varies with server load, and a request over it is refused with HTTP 429
# RESOURCE_EXHAUSTED, quotaError RESOURCE_TEMPORARILY_EXHAUSTED and a retryDelay in the body
# (developers.google.com/google-ads/api/docs/best-practices/rate-limits). The one per-second rate the API
# documents is 1 QPS, for its costlier Planning services (.../best-practices/quotas): the rate the source keeps by
# default (pipelines/sources/google_ads/settings.py) and the rate this server's bucket refills at in the benchmark.
RATE_LIMIT = 1.0
FIELDS = ("segments.date", "customer.id", "customer.currency_code", "campaign.id", "campaign.name",
          "metrics.cost_micros", "metrics.clicks", "metrics.impressions", "metrics.conversions")


def google_error(code: int, status: str, message: str, error_code: dict | None = None,
                 details: dict | None = None) -> dict:
    failure = {"errorCode": error_code or {}, "message": message, **({"details": details} if details else {})}
    return {"error": {"code": code, "message": message, "status": status, "details": [
        {"@type": "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure", "errors": [failure],
         "requestId": "fake-request"}]}}


def exhausted(retry_delay: str, rate_name: str) -> dict:
    """A rate limit's answer: RESOURCE_EXHAUSTED asking to wait `retry_delay` (a Duration, "2s"), in the body only."""
    return google_error(429, "RESOURCE_EXHAUSTED", f"Too many requests. Retry in {retry_delay[:-1]} seconds.",
                        {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                        {"quotaErrorDetails": {"rateScope": "DEVELOPER", "rateName": rate_name,
                                               "retryDelay": retry_delay}})


@dataclass
class FakeGoogleAds(FakeApi):
    client_id: str = "client-id.apps.googleusercontent.com"
    client_secret: str = "client-secret"
    refresh_token: str = "refresh-token"
    developer_token: str = "developer-token"
    access_token: str = "ya29.access-token"
    developer_token_approved: bool = True
    manager_id: str | None = None  # when set, customers are reached only with login-customer-id = manager_id
    batch_size: int = 10_000  # results per batch of the stream
    retry_delay: str = "1s"  # what an injected 429 asks to wait
    _bucket: tuple = (None, 0.0)  # (tokens left, when counted) of the developer token's rate limit
    currencies: dict = field(default_factory=dict)  # customer id -> currency code
    rows: dict = field(default_factory=dict)  # (customer id, campaign id, day) -> row

    def add(self, customer_id: str, campaign_id: str, day: date, name: str, cost_micros: int, impressions: int,
            clicks: int, conversions: float = 0.0) -> None:
        """Set (or restate) one campaign's day."""
        self.rows[(customer_id, campaign_id, day)] = {"name": name, "cost_micros": cost_micros,
                                                      "impressions": impressions, "clicks": clicks,
                                                      "conversions": conversions}

    def remove(self, customer_id: str, campaign_id: str, day: date) -> None:
        del self.rows[(customer_id, campaign_id, day)]

    def queries(self) -> list[tuple[str, str]]:
        """(customer id, GAQL) of every searchStream request."""
        return [(re.search(r"customers/(\d+)/", path).group(1), body["query"])
                for method, path, _, body in self.requests if path.endswith("googleAds:searchStream")]

    def token_requests(self) -> list[dict]:
        return [body for _, path, _, body in self.requests if path == "/token"]

    # --- the API ------------------------------------------------------------------------------------------
    def authorized(self, headers, params, path) -> bool:
        return path == "/token" or headers.get("Authorization") == f"Bearer {self.access_token}"

    def unauthorized(self) -> dict:
        return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth "
                            "2 access token, login cookie or other valid authentication credential.",
                            {"authenticationError": "OAUTH_TOKEN_INVALID"})

    def error_body(self, status: int) -> dict:
        if status == 429:
            return exhausted(self.retry_delay, "Number of operations for basic access")
        if status == 401:
            return self.unauthorized()
        return {"error": {"code": status, "message": "Internal error encountered.", "status": "INTERNAL"}}

    def limit_wait(self, path: str) -> float | None:
        """A token bucket per developer token that holds a second's worth of requests and refills at
        `rate_limit` a second; the OAuth token endpoint is another service, not metered here."""
        if path == "/token":
            return None
        capacity, now = max(1.0, self.rate_limit), time.monotonic()
        tokens, counted = self._bucket
        tokens = capacity if tokens is None else min(capacity, tokens + (now - counted) * self.rate_limit)
        if tokens >= 1:
            self._bucket = (tokens - 1, now)
            return None
        self._bucket = (tokens, now)
        return (1 - tokens) / self.rate_limit

    def rate_limited(self, path: str, wait: float) -> tuple[int, dict, dict]:
        return 429, exhausted(f"{max(1, math.ceil(wait))}s", "Requests per developer token per second"), {}

    def _answer(self, headers, method, path, params, body):
        """The developer token and the manager account are checked once the OAuth token is accepted."""
        if path != "/token" and self.authorized(headers, params, path):
            refusal = self._refusal(headers, path)
            if refusal:
                return 403, refusal, {}
        return super()._answer(headers, method, path, params, body)

    def _refusal(self, headers, path) -> dict | None:
        if headers.get("developer-token") != self.developer_token or not self.developer_token_approved:
            return google_error(403, "PERMISSION_DENIED", "The developer token is not approved.",
                                {"authorizationError": "DEVELOPER_TOKEN_NOT_APPROVED"})
        customer = re.search(r"/customers/(\d+)/", path)
        if customer and (customer.group(1) not in self.currencies
                         or (self.manager_id and headers.get("login-customer-id") != self.manager_id)):
            return google_error(403, "PERMISSION_DENIED", "User doesn't have permission to access customer. Note: "
                                "If you're accessing a client customer, the manager's customer id must be set in "
                                "the 'login-customer-id' header.", {"authorizationError": "USER_PERMISSION_DENIED"})
        return None

    def route(self, method, path, params, body):
        if path == "/token":
            return self._token(body or {})
        match = re.fullmatch(rf"/{VERSION}/customers/(\d+)/googleAds:searchStream", path)
        if not match or method != "POST":
            return 404, {"error": {"code": 404, "message": f"no route {method} {path}", "status": "NOT_FOUND"}}
        return 200, self._stream(match.group(1), body["query"])

    def _token(self, form: dict):
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        return 200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer",
                     "scope": "https://www.googleapis.com/auth/adwords"}

    def _stream(self, customer: str, query: str) -> list[dict]:
        missing = [name for name in FIELDS if name not in query]
        assert not missing and re.search(r"\bFROM campaign\b", query), query
        first, last = (date.fromisoformat(d) for d in
                       re.search(r"segments\.date BETWEEN '([\d-]+)' AND '([\d-]+)'", query).groups())
        found = sorted((day, campaign, row) for (cid, campaign, day), row in self.rows.items()
                       if cid == customer and first <= day <= last)
        results = [self._result(customer, campaign, day, row) for day, campaign, row in found]
        mask = ("segments.date,customer.id,customer.currencyCode,campaign.id,campaign.name,metrics.costMicros,"
                "metrics.clicks,metrics.impressions,metrics.conversions")
        batches = [results[i:i + self.batch_size] for i in range(0, len(results), self.batch_size)]
        return [{"results": batch, "fieldMask": mask, "requestId": "fake-request"} for batch in batches] or [
            {"fieldMask": mask, "requestId": "fake-request"}]

    def _result(self, customer: str, campaign: str, day: date, row: dict) -> dict:
        metrics = {"clicks": str(row["clicks"]), "impressions": str(row["impressions"]),
                   "costMicros": str(row["cost_micros"]), "conversions": row["conversions"]}
        metrics = {key: value for key, value in metrics.items() if value not in ("0", 0, 0.0)}  # proto3 JSON
        return {"customer": {"resourceName": f"customers/{customer}", "id": customer,
                             "currencyCode": self.currencies[customer]},
                "campaign": {"resourceName": f"customers/{customer}/campaigns/{campaign}", "id": campaign,
                             "name": row["name"]},
                "metrics": metrics, "segments": {"date": day.isoformat()}}

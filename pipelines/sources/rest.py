"""What every API source shares: dlt's REST client on a retrying session, and errors that say what to fix."""

import math
import time
from collections import deque

from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import AuthConfigBase
from requests import HTTPError
from requests.adapters import HTTPAdapter


class SourceError(RuntimeError):
    """An API failure worth one clear line (never with a token in it)."""


class Throttle:
    """Keeps to a documented limit of `requests_per_second`: a whole number R of them may go at once, then each
    waits until the one R places before it is a second old (stretched 3% for network jitter). At most R fall in
    any second, so the limit is met, not hit, whether the API counts in fixed or in rolling windows. A fractional
    rate spaces requests evenly instead."""

    def __init__(self, send, requests_per_second: float):
        burst = int(requests_per_second) if float(requests_per_second).is_integer() else 1
        self.send, self.window = send, 1.03 * burst / requests_per_second
        self.sent: deque[float] = deque(maxlen=burst)  # when the last `burst` requests went

    def __call__(self, *args, **kwargs):
        if len(self.sent) == self.sent.maxlen:
            wait = self.sent[0] + self.window - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self.sent.append(time.monotonic())
        return self.send(*args, **kwargs)


# Documented rate-limit headers that say how long until the limit resets, in seconds or milliseconds.
RESET_HEADERS = {"X-RateLimit-Reset": 1.0, "X-HubSpot-RateLimit-Interval-Milliseconds": 0.001}


class RateLimitAwareAdapter(HTTPAdapter):
    """A 429 without Retry-After but with a documented reset header gets the Retry-After it implies, so the
    retry waits for the window instead of hammering it. Done in the transport adapter, before the session's
    retry looks at the answer."""

    def send(self, *args, **kwargs):
        response = super().send(*args, **kwargs)
        if response.status_code == 429 and "Retry-After" not in response.headers:
            for header, unit in RESET_HEADERS.items():
                value = response.headers.get(header)
                if value and value.replace(".", "", 1).isdigit():
                    response.headers["Retry-After"] = str(max(1, math.ceil(float(value) * unit)))
                    break
        return response


def retrying_client(base_url: str, auth: AuthConfigBase, max_attempts: int, backoff_factor: float,
                    max_retry_delay: float, requests_per_second: float | None = None,
                    retry_condition=None) -> RESTClient:
    """A REST client whose session retries 429 and 5xx with exponential backoff, waiting what Retry-After (or a
    documented rate-limit reset header) says, within `max_attempts` tries and `max_retry_delay` seconds per
    wait; throttled to `requests_per_second`. `retry_condition(response, exception)` also retries other answers
    an API documents as transient (e.g. a rate limit sent as HTTP 400)."""
    session = Client(raise_for_status=False, request_max_attempts=max_attempts,
                     request_backoff_factor=backoff_factor, request_max_retry_delay=max_retry_delay,
                     respect_retry_after_header=True, retry_condition=retry_condition).session
    for scheme in ("http://", "https://"):
        session.mount(scheme, RateLimitAwareAdapter(pool_maxsize=10))
    if requests_per_second:
        session.send = Throttle(session.send, requests_per_second)  # what RESTClient and session.request call
    return RESTClient(base_url=base_url.rstrip("/"), auth=auth, session=session)


def checked(response):
    """A response from `client.get`/`client.post` (which, unlike `paginate`, do not raise), raised on 4xx/5xx
    once the session's retries are spent."""
    response.raise_for_status()
    return response


def explain(error: HTTPError, service: str, variable: str, access: str) -> SourceError:
    """Turn an HTTP error into one line: on 401/403 the variable to fix, else what failed."""
    status = error.response.status_code if error.response is not None else None
    if status in (401, 403):
        return SourceError(f"{service} refused the token (HTTP {status}): set {variable} to {access}")
    path = error.request.path_url.split("?")[0] if error.request is not None else "?"
    return SourceError(f"{service} request {path} failed with HTTP {status} after retries; what was loaded is "
                       "kept, run the sync again")

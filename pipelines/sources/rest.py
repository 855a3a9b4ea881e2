"""What every API source shares: dlt's REST client on a retrying session, and errors that say what to fix."""

import time

from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import AuthConfigBase
from requests import HTTPError


class SourceError(RuntimeError):
    """An API failure worth one clear line (never with a token in it)."""


class Throttle:
    """Spaces requests at least 1/rate seconds apart (plus a 3% margin for network jitter), so a documented
    per-second limit is met, not hit."""

    def __init__(self, send, requests_per_second: float):
        self.send, self.interval, self.last = send, 1.03 / requests_per_second, 0.0

    def __call__(self, *args, **kwargs):
        wait = self.last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        return self.send(*args, **kwargs)


def retrying_client(base_url: str, auth: AuthConfigBase, max_attempts: int, backoff_factor: float,
                    max_retry_delay: float, requests_per_second: float | None = None) -> RESTClient:
    """A REST client whose session retries 429 and 5xx with exponential backoff, waiting what Retry-After says,
    within `max_attempts` tries and `max_retry_delay` seconds per wait; throttled to `requests_per_second`."""
    session = Client(raise_for_status=False, request_max_attempts=max_attempts,
                     request_backoff_factor=backoff_factor, request_max_retry_delay=max_retry_delay,
                     respect_retry_after_header=True).session
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

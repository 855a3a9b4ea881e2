"""What every fake API server shares: a thread on 127.0.0.1, a request log, injected failures (429 with
Retry-After, 5xx), a crash switch, a rate limit. Each API's server adds its routes, auth and error bodies, and may
count its rate limit and answer it the way that API does."""

import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Failure:
    status: int
    times: int
    path_contains: str = ""
    retry_after: str | None = None
    headers: dict = field(default_factory=dict)  # e.g. a documented rate-limit reset header


@dataclass
class FakeApi:
    requests: list = field(default_factory=list)  # (method, path, query params, JSON body)
    arrivals: list = field(default_factory=list)  # when each request came (time.monotonic())
    failures: list = field(default_factory=list)
    down_after: int | None = None  # answer 503 to every request after this many (a crash mid-sync)
    rate_limit: float | None = None  # requests per second (fixed one-second windows); beyond it, 429
    throttled: int = 0  # how many requests the rate limit refused
    _window: tuple = (0, 0)  # (second, requests in it)

    def fail(self, status: int, times: int = 1, path_contains: str = "", retry_after: str | None = None,
             headers: dict | None = None) -> None:
        self.failures.append(Failure(status, times, path_contains, retry_after, headers or {}))

    # --- to be provided by each API ------------------------------------------------------------------------
    def authorized(self, headers, params, path) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> dict:
        raise NotImplementedError

    def error_body(self, status: int) -> dict:
        raise NotImplementedError

    def route(self, method: str, path: str, params: dict, body) -> tuple[int, dict]:
        raise NotImplementedError

    # --- the rate limit, which an API may count and answer its own way ---------------------------------------
    def limit_wait(self, path: str) -> float | None:
        """None when a request to `path` is within `rate_limit` (and counts it), else the seconds until it would
        be. Here: at most `rate_limit` requests in each calendar second."""
        now = time.time()
        second, count = self._window
        second, count = (second, count + 1) if int(now) == second else (int(now), 1)
        self._window = (second, count)
        return second + 1 - now if count > self.rate_limit else None

    def rate_limited(self, path: str, wait: float) -> tuple[int, dict, dict]:
        """The answer to a request over the rate limit: here 429 with a Retry-After."""
        return 429, self.error_body(429), {"Retry-After": str(max(1, math.ceil(wait)))}

    # --- serving -------------------------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if getattr(self, "_server", None):
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if "form-urlencoded" in (handler.headers.get("Content-Type") or ""):
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        self.requests.append((method, url.path, params, body))
        self.arrivals.append(time.monotonic())
        status, payload, headers = self._answer(handler.headers, method, url.path, params, body)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, headers, method, path, params, body):
        if not self.authorized(headers, params, path):
            return 401, self.unauthorized(), {}
        if self.down_after is not None and len(self.requests) > self.down_after:
            return 503, self.error_body(503), {}
        if self.rate_limit is not None:
            wait = self.limit_wait(path)
            if wait is not None:
                self.throttled += 1
                return self.rate_limited(path, wait)
        for failure in self.failures:
            if failure.times > 0 and failure.path_contains in path:
                failure.times -= 1
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return failure.status, self.error_body(failure.status), {**failure.headers, **extra}
        status, payload = self.route(method, path, params, body)
        return status, payload, {}

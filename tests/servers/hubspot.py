"""A HubSpot CRM v3 server on 127.0.0.1 for tests: the documented shapes (../shared/api-formats, section a),
search with its result cap, cursor paging, archived objects, v4 associations, deal pipelines, bearer auth,
injected 429 (with Retry-After) and 5xx, and a log of every request it received."""

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LAST_MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Record:
    id: str
    properties: dict
    created_at: datetime
    updated_at: datetime
    archived: bool = False

    def modified_ms(self) -> int:
        return int(self.updated_at.timestamp() * 1000)

    def as_json(self, object_type: str, wanted: list[str] | None) -> dict:
        properties = {**self.properties, LAST_MODIFIED[object_type]: iso(self.updated_at),
                      "createdate": iso(self.created_at), "hs_object_id": self.id}
        if wanted is not None:
            properties = {name: properties.get(name) for name in {*wanted, "hs_object_id", "createdate",
                                                                  LAST_MODIFIED[object_type]}}
        body = {"id": self.id, "properties": properties, "createdAt": iso(self.created_at),
                "updatedAt": iso(self.updated_at), "archived": self.archived}
        if self.archived:
            body["archivedAt"] = iso(self.updated_at)
        return body


@dataclass
class Failure:
    status: int
    times: int
    path_contains: str = ""
    retry_after: str | None = None


@dataclass
class FakeHubSpot:
    token: str
    result_cap: int = 10_000
    objects: dict = field(default_factory=lambda: {"contacts": {}, "companies": {}, "deals": {}})
    links: dict = field(default_factory=lambda: {"contacts": {}, "companies": {}})  # deal id -> [ids]
    requests: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    down_after: int | None = None  # answer 503 to every request after this many (a crash mid-sync)

    def add(self, object_type: str, record_id: str, updated_at: datetime, created_at: datetime | None = None,
            archived: bool = False, **properties) -> None:
        self.objects[object_type][record_id] = Record(record_id, properties, created_at or updated_at, updated_at,
                                                      archived)

    def link(self, deal_id: str, contact_id: str | None = None, company_id: str | None = None) -> None:
        if contact_id:
            self.links["contacts"].setdefault(deal_id, []).append(contact_id)
        if company_id:
            self.links["companies"].setdefault(deal_id, []).append(company_id)

    def fail(self, status: int, times: int = 1, path_contains: str = "", retry_after: str | None = None) -> None:
        self.failures.append(Failure(status, times, path_contains, retry_after))

    def searches(self, object_type: str) -> list[dict]:
        return [body for method, path, _, body in self.requests
                if method == "POST" and path == f"/crm/v3/objects/{object_type}/search"]

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
        body = json.loads(handler.rfile.read(length)) if length else None
        self.requests.append((method, url.path, params, body))
        status, payload, headers = self._route(handler, method, url.path, params, body)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, handler, method, path, params, body):
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"status": "error", "message": "Authentication credentials not found.",
                         "category": "INVALID_AUTHENTICATION"}, {}
        if self.down_after is not None and len(self.requests) > self.down_after:
            return 503, {"status": "error", "message": "Service unavailable"}, {}
        for failure in self.failures:
            if failure.times > 0 and failure.path_contains in path:
                failure.times -= 1
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                if failure.status == 429:
                    headers.update({"X-HubSpot-RateLimit-Secondly": "10",
                                    "X-HubSpot-RateLimit-Secondly-Remaining": "0"})
                    return 429, {"status": "error", "message": "You have reached your secondly limit.",
                                 "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}, headers
                return failure.status, {"status": "error", "message": "internal error"}, headers
        parts = path.strip("/").split("/")
        if method == "POST" and parts[:3] == ["crm", "v3", "objects"] and parts[-1] == "search":
            return self._search(parts[3], body)
        if method == "GET" and parts[:3] == ["crm", "v3", "objects"] and len(parts) == 4:
            return self._list(parts[3], params)
        if method == "POST" and parts[:3] == ["crm", "v4", "associations"] and parts[-2:] == ["batch", "read"]:
            return self._associations(parts[4], body)
        if method == "GET" and parts == ["crm", "v3", "pipelines", "deals"]:
            return 200, {"results": [{"id": "default", "label": "Sales Pipeline", "stages": [
                {"id": "appointmentscheduled", "label": "Appointment", "metadata": {"isClosed": "false",
                                                                                    "probability": "0.2"}},
                {"id": "closedwon", "label": "Closed won", "metadata": {"isClosed": "true", "probability": "1.0"}},
                {"id": "closedlost", "label": "Closed lost", "metadata": {"isClosed": "true", "probability": "0.0"}},
            ]}]}, {}
        return 404, {"status": "error", "message": f"no route {method} {path}"}, {}

    def _search(self, object_type, body):
        def as_ms(value: str) -> int:
            return int(value) if value.isdigit() else int(datetime.fromisoformat(value.replace("Z", "+00:00"))
                                                          .timestamp() * 1000)

        filters = [f for group in body.get("filterGroups", []) for f in group["filters"]]
        records = [r for r in self.objects[object_type].values() if not r.archived]
        for f in filters:
            assert f["propertyName"] == LAST_MODIFIED[object_type], f
            bound = as_ms(f["value"])
            test = {"GTE": lambda r, b=bound: r.modified_ms() >= b, "LT": lambda r, b=bound: r.modified_ms() < b,
                    "GT": lambda r, b=bound: r.modified_ms() > b, "LTE": lambda r, b=bound: r.modified_ms() <= b}
            records = [r for r in records if test[f["operator"]](r)]
        records.sort(key=lambda r: (r.modified_ms(), int(r.id)))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit", 10)), 200)
        if after >= self.result_cap:
            return 400, {"status": "error", "message": f"The query exceeds the {self.result_cap} result limit",
                         "category": "VALIDATION_ERROR"}, {}
        page = records[after:after + limit]
        payload = {"total": len(records), "results": [r.as_json(object_type, body.get("properties")) for r in page]}
        if after + limit < len(records):
            payload["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return 200, payload, {}

    def _list(self, object_type, params):
        archived = params.get("archived") == "true"
        records = sorted((r for r in self.objects[object_type].values() if r.archived == archived),
                         key=lambda r: int(r.id))
        after, limit = int(params.get("after") or 0), int(params.get("limit") or 10)
        wanted = params["properties"].split(",") if params.get("properties") else None
        payload = {"results": [r.as_json(object_type, wanted) for r in records[after:after + limit]]}
        if after + limit < len(records):
            payload["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return 200, payload, {}

    def _associations(self, to_type, body):
        results = [{"from": {"id": item["id"]},
                    "to": [{"toObjectId": int(i), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}
                           for i in self.links[to_type][item["id"]]]}
                   for item in body["inputs"] if item["id"] in self.links[to_type]]
        return 200, {"status": "COMPLETE", "results": results}, {}

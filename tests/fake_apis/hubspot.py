"""A HubSpot CRM v3 server on 127.0.0.1 for tests: the documented shapes (../shared/api-formats, section a),
search with its result cap, cursor paging, archived objects, v4 associations, deal pipelines, bearer auth,
injected 429 (with Retry-After) and 5xx, and a log of every request it received."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from tests.fake_apis.base import FakeApi

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

    @cached_property  # records are replaced, never changed; a search compares it for every record
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
class FakeHubSpot(FakeApi):
    token: str = ""
    result_cap: int = 10_000
    objects: dict = field(default_factory=lambda: {"contacts": {}, "companies": {}, "deals": {}})
    links: dict = field(default_factory=lambda: {"contacts": {}, "companies": {}})  # deal id -> [ids]

    def add(self, object_type: str, record_id: str, updated_at: datetime, created_at: datetime | None = None,
            archived: bool = False, **properties) -> None:
        self.objects[object_type][record_id] = Record(record_id, properties, created_at or updated_at, updated_at,
                                                      archived)

    def link(self, deal_id: str, contact_id: str | None = None, company_id: str | None = None) -> None:
        if contact_id:
            self.links["contacts"].setdefault(deal_id, []).append(contact_id)
        if company_id:
            self.links["companies"].setdefault(deal_id, []).append(company_id)

    def searches(self, object_type: str) -> list[dict]:
        return [body for method, path, _, body in self.requests
                if method == "POST" and path == f"/crm/v3/objects/{object_type}/search"]

    # --- the API ------------------------------------------------------------------------------------------
    def authorized(self, headers, params, path) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> dict:
        return {"status": "error", "message": "Authentication credentials not found.",
                "category": "INVALID_AUTHENTICATION"}

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
                    "policyName": "SECONDLY"}
        return {"status": "error", "message": "internal error"}

    def route(self, method, path, params, body):
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
            ]}]}
        return 404, {"status": "error", "message": f"no route {method} {path}"}

    def _search(self, object_type, body):
        def as_ms(value: str) -> int:
            return int(value) if value.isdigit() else int(datetime.fromisoformat(value.replace("Z", "+00:00"))
                                                          .timestamp() * 1000)

        filters = [f for group in body.get("filterGroups", []) for f in group["filters"]]
        records = [r for r in self.objects[object_type].values() if not r.archived]
        for f in filters:
            assert f["propertyName"] == LAST_MODIFIED[object_type], f
            bound = as_ms(f["value"])
            test = {"GTE": lambda r, b=bound: r.modified_ms >= b, "LT": lambda r, b=bound: r.modified_ms < b,
                    "GT": lambda r, b=bound: r.modified_ms > b, "LTE": lambda r, b=bound: r.modified_ms <= b}
            records = [r for r in records if test[f["operator"]](r)]
        records.sort(key=lambda r: (r.modified_ms, int(r.id)))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit", 10)), 200)
        if after >= self.result_cap:
            return 400, {"status": "error", "message": f"The query exceeds the {self.result_cap} result limit",
                         "category": "VALIDATION_ERROR"}
        page = records[after:after + limit]
        payload = {"total": len(records), "results": [r.as_json(object_type, body.get("properties")) for r in page]}
        if after + limit < len(records):
            payload["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return 200, payload

    def _list(self, object_type, params):
        archived = params.get("archived") == "true"
        records = sorted((r for r in self.objects[object_type].values() if r.archived == archived),
                         key=lambda r: int(r.id))
        after, limit = int(params.get("after") or 0), int(params.get("limit") or 10)
        wanted = params["properties"].split(",") if params.get("properties") else None
        payload = {"results": [r.as_json(object_type, wanted) for r in records[after:after + limit]]}
        if after + limit < len(records):
            payload["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return 200, payload

    def _associations(self, to_type, body):
        results = [{"from": {"id": item["id"]},
                    "to": [{"toObjectId": int(i), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}
                           for i in self.links[to_type][item["id"]]]}
                   for item in body["inputs"] if item["id"] in self.links[to_type]]
        return 200, {"status": "COMPLETE", "results": results}

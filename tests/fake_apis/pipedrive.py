"""A Pipedrive API v2 server on 127.0.0.1 for tests: deals, persons, organizations, stages with cursor paging
(`additional_data.next_cursor`), `updated_since` and `sort_by=update_time`, deleted deals behind
`status=deleted`, `x-api-token` auth, plus the shared request log and injected failures."""

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fake_apis.base import FakeApi


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakePipedrive(FakeApi):
    token: str = ""
    entities: dict = field(default_factory=lambda: {"deals": {}, "persons": {}, "organizations": {}})
    stages: list = field(default_factory=lambda: [{"id": 1, "name": "Qualified", "pipeline_id": 1},
                                                  {"id": 2, "name": "Proposal", "pipeline_id": 1}])

    def add(self, entity: str, entity_id: int, updated: datetime, added: datetime | None = None,
            deleted: bool = False, **fields) -> None:
        self.entities[entity][entity_id] = {"id": entity_id, "add_time": rfc3339(added or updated),
                                            "update_time": rfc3339(updated), "_deleted": deleted, **fields}

    def listed(self, entity: str) -> list[dict]:
        return [params for method, path, params, _ in self.requests if path == f"/api/v2/{entity}"]

    def authorized(self, headers, params, path) -> bool:
        return headers.get("x-api-token") == self.token or params.get("api_token") == self.token

    def unauthorized(self) -> dict:
        return {"success": False, "error": "unauthorized access", "errorCode": 401}

    def error_body(self, status: int) -> dict:
        return {"success": False, "error": "Request over limit" if status == 429 else "Server error",
                "errorCode": status}

    def route(self, method, path, params, body):
        parts = path.strip("/").split("/")
        if method != "GET" or parts[:2] != ["api", "v2"] or len(parts) != 3:
            return 404, {"success": False, "error": f"no route {method} {path}"}
        if parts[2] == "stages":
            return 200, {"success": True, "data": self.stages, "additional_data": {"next_cursor": None}}
        records = list(self.entities[parts[2]].values())
        deleted = params.get("status") == "deleted"
        records = [r for r in records if r["_deleted"] == deleted]
        if params.get("updated_since"):
            since = datetime.fromisoformat(params["updated_since"].replace("Z", "+00:00"))
            records = [r for r in records if datetime.fromisoformat(r["update_time"].replace("Z", "+00:00")) >= since]
        if params.get("sort_by") == "update_time":
            records.sort(key=lambda r: (r["update_time"], r["id"]), reverse=params.get("sort_direction") == "desc")
        start = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
        limit = min(int(params.get("limit") or 100), 500)
        page = [{k: v for k, v in r.items() if k != "_deleted"} for r in records[start:start + limit]]
        following = start + limit
        cursor = base64.b64encode(str(following).encode()).decode() if following < len(records) else None
        return 200, {"success": True, "data": page, "additional_data": {"next_cursor": cursor}}

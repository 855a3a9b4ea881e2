"""A Salesforce REST server on 127.0.0.1 for tests: SOQL `query`/`queryAll` on SystemModstamp paged by
`nextRecordsUrl` until `done`, deleted records only through queryAll, sObject describe (CurrencyIsoCode in
multi-currency orgs), the OAuth token endpoint, plus the shared request log and injected failures."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fake_apis.base import FakeApi

VERSION = "v59.0"


def sf_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class FakeSalesforce(FakeApi):
    token: str = ""
    client_id: str = "client-id"
    client_secret: str = "client-secret"
    page_size: int = 2000
    multi_currency: bool = True
    records: dict = field(default_factory=dict)  # sObject -> {Id: record}
    cursors: dict = field(default_factory=dict)

    def add(self, sobject: str, record_id: str, modified: datetime, deleted: bool = False, **fields) -> None:
        self.records.setdefault(sobject, {})[record_id] = {"Id": record_id, "SystemModstamp": sf_datetime(modified),
                                                           "IsDeleted": deleted, **fields}

    def queries(self) -> list[str]:
        return [params["q"] for _, path, params, _ in self.requests if "q" in params]

    def authorized(self, headers, params, path) -> bool:
        return path == "/services/oauth2/token" or headers.get("Authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> list:
        return [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    def error_body(self, status: int) -> list:
        return [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}] \
            if status in (403, 429) else [{"message": "Server error", "errorCode": "UNKNOWN_EXCEPTION"}]

    def route(self, method, path, params, body):
        if path == "/services/oauth2/token":
            if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
                return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            return 200, {"access_token": self.token, "instance_url": "", "token_type": "Bearer"}
        if path in (f"/services/data/{VERSION}/query", f"/services/data/{VERSION}/queryAll"):
            return self._query(params["q"], include_deleted=path.endswith("queryAll"))
        if path.startswith(f"/services/data/{VERSION}/query/"):
            return self._page(path.rsplit("/", 1)[1])
        match = re.fullmatch(rf"/services/data/{VERSION}/sobjects/(\w+)/describe", path)
        if match:
            names = {name for record in self.records.get(match.group(1), {}).values() for name in record}
            names |= {"Id", "SystemModstamp", "IsDeleted"} | ({"CurrencyIsoCode"} if self.multi_currency else set())
            return 200, {"name": match.group(1), "fields": [{"name": name} for name in sorted(names)]}
        return 404, [{"message": f"no route {method} {path}", "errorCode": "NOT_FOUND"}]

    def _query(self, soql: str, include_deleted: bool):
        match = re.fullmatch(r"SELECT (.+) FROM (\w+) WHERE SystemModstamp >= (\S+) ORDER BY SystemModstamp ASC",
                             soql)
        assert match, soql
        fields, sobject = [f.strip() for f in match.group(1).split(",")], match.group(2)
        if "CurrencyIsoCode" in fields and not self.multi_currency:
            return 400, [{"message": "No such column 'CurrencyIsoCode'", "errorCode": "INVALID_FIELD"}]
        since = datetime.fromisoformat(match.group(3).replace("Z", "+00:00"))

        def modified(record):
            return datetime.strptime(record["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.000%z")

        found = sorted((r for r in self.records.get(sobject, {}).values()
                        if modified(r) >= since and (include_deleted or not r["IsDeleted"])),
                       key=lambda r: (modified(r), r["Id"]))
        rows = [{"attributes": {"type": sobject, "url": f"/services/data/{VERSION}/sobjects/{sobject}/{r['Id']}"},
                 **{f: r.get(f) for f in fields}} for r in found]
        cursor = f"01gFAKE{len(self.cursors)}"
        self.cursors[cursor] = rows
        return self._page(f"{cursor}-0")

    def _page(self, locator: str):
        cursor, offset = locator.rsplit("-", 1)
        rows, start = self.cursors[cursor], int(offset)
        end = start + self.page_size
        payload = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[start:end]}
        if end < len(rows):
            payload["nextRecordsUrl"] = f"/services/data/{VERSION}/query/{cursor}-{end}"
        return 200, payload

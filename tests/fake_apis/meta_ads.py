"""A Meta Marketing API server on 127.0.0.1 for tests (../shared/api-formats, section d): campaign insights of an
ad account (`/act_{id}/insights`, level=campaign, time_increment=1, time_range) with metrics as strings, cursor
paging whose last page has no `paging.next`, usage headers on every answer, rate limits as HTTP 400 with their
error codes (4, 17, 613, 80004) and usage headers, an invalid token as HTTP 400 error 190."""

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from tests.fake_apis.base import FakeApi

VERSION = "v26.0"
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    613: "(#613) There have been too many calls from this ad-account. Please wait a bit and try again.",
    80004: "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.",
}


def graph_error(code: int, message: str, subcode: int | None = None, transient: bool | None = None) -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfGhIjK"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    return {"error": error}


@dataclass
class FakeMetaAds(FakeApi):
    token: str = ""
    page_size: int | None = None  # rows per page; None: the request's `limit`
    usage_percent: float = 5.0  # what the usage headers report on every answer
    regain_minutes: int = 0  # estimated_time_to_regain_access reported with the usage
    currencies: dict = field(default_factory=dict)  # account id (no act_) -> currency
    rows: dict = field(default_factory=dict)  # (account id, campaign id, day) -> row
    rate_limits: list = field(default_factory=list)  # [code, times left] answered before anything else

    def add(self, account_id: str, campaign_id: str, day: date, name: str, spend: str, impressions: int,
            clicks: int, leads: int = 0, link_clicks: int | None = None) -> None:
        """Set (or restate) one campaign's day; spend as Meta writes it (a decimal string)."""
        self.rows[(account_id, campaign_id, day)] = {"name": name, "spend": spend, "impressions": impressions,
                                                     "clicks": clicks, "leads": leads, "link_clicks": link_clicks}

    def throttle(self, code: int, times: int = 1) -> None:
        """Answer the next `times` requests with rate-limit error `code` (HTTP 400, usage at 100%)."""
        self.rate_limits.append([code, times])

    def insights_requests(self) -> list[dict]:
        return [params for _, path, params, _ in self.requests if path.endswith("/insights")]

    # --- the API ------------------------------------------------------------------------------------------
    def usage_headers(self, percent: float, regain: int) -> dict:
        usage = {"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2}
        business = {account: [{"type": "ads_insights", **usage, "estimated_time_to_regain_access": regain,
                               "ads_api_access_tier": "standard_access"}] for account in self.currencies}
        return {"X-App-Usage": json.dumps(usage), "X-Business-Use-Case-Usage": json.dumps(business),
                "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": percent, "reset_time_duration": 0,
                                                  "ads_api_access_tier": "standard_access"})}

    def authorized(self, headers, params, path) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}" or params.get("access_token") == self.token

    def unauthorized(self) -> dict:
        return graph_error(190, "Invalid OAuth access token - Cannot parse access token")

    def error_body(self, status: int) -> dict:
        return graph_error(2, "Service temporarily unavailable", transient=True)

    def _answer(self, headers, method, path, params, body):
        if not self.authorized(headers, params, path):
            return 400, self.unauthorized(), {}  # the Graph API answers a bad token with 400, error 190
        for limit in self.rate_limits:
            code, times = limit
            if times > 0:
                limit[1] -= 1
                return 400, graph_error(code, RATE_LIMIT_MESSAGES[code], 2446079, transient=True), \
                    self.usage_headers(100.0, self.regain_minutes)
        status, payload, extra = super()._answer(headers, method, path, params, body)
        return status, payload, {**self.usage_headers(self.usage_percent, self.regain_minutes), **extra}

    def route(self, method, path, params, body):
        match = re.fullmatch(rf"/{re.escape(VERSION)}/act_(\d+)/insights", path)
        if not match:
            return 400, graph_error(100, f"Unknown path components: {path}", 33)
        account = match.group(1)
        if account not in self.currencies:
            return 400, graph_error(100, f"Unsupported get request. Object with ID 'act_{account}' does not exist",
                                    33)
        if params.get("level") != "campaign" or params.get("time_increment") != "1":
            return 400, graph_error(100, "(#100) level=campaign and time_increment=1 expected by this fake")
        window = json.loads(params["time_range"])
        first, last = date.fromisoformat(window["since"]), date.fromisoformat(window["until"])
        fields = params["fields"].split(",")
        found = sorted((day, campaign, row) for (aid, campaign, day), row in self.rows.items()
                       if aid == account and first <= day <= last)
        size = self.page_size or int(params.get("limit", 25))
        start = int(base64.b64decode(params["after"]).decode()) if "after" in params else 0
        page = found[start:start + size]
        data = [self._record(account, campaign, day, row, fields) for day, campaign, row in page]
        cursors = {"before": base64.b64encode(str(start).encode()).decode(),
                   "after": base64.b64encode(str(start + len(page)).encode()).decode()}
        paging = {"cursors": cursors}
        if start + size < len(found):
            query = {k: v for k, v in params.items() if k != "after"} | {"after": cursors["after"]}
            paging["next"] = f"https://graph.facebook.com/{VERSION}/act_{account}/insights?{urlencode(query)}"
        return 200, {"data": data, "paging": paging}

    def _record(self, account: str, campaign: str, day: date, row: dict, fields: list[str]) -> dict:
        record = {"account_id": account, "account_currency": self.currencies[account], "campaign_id": campaign,
                  "campaign_name": row["name"], "spend": row["spend"], "impressions": str(row["impressions"]),
                  "clicks": str(row["clicks"]), "date_start": day.isoformat(), "date_stop": day.isoformat()}
        if row["link_clicks"] is not None:
            record["inline_link_clicks"] = str(row["link_clicks"])
        if row["leads"]:  # Meta leaves an empty action list out
            record["actions"] = [{"action_type": "link_click", "value": str(row["clicks"])},
                                 {"action_type": "lead", "value": str(row["leads"])}]
        return {key: value for key, value in record.items() if key in fields}

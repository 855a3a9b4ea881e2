"""A Meta Marketing API server on 127.0.0.1 for tests (../shared/api-formats, section d): campaign insights of an
ad account (`/act_{id}/insights`, level=campaign, time_increment=1, time_range) with metrics as strings, cursor
paging whose last page has no `paging.next`, usage headers on every answer, rate limits as HTTP 400 with their
error codes (4, 17, 613, 80004) and usage headers, an ad account's usage score, an invalid token as HTTP 400
error 190."""

import base64
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from tests.fake_apis.base import FakeApi

VERSION = "v26.0"
# Meta limits each ad account by a score (developers.facebook.com/docs/marketing-apis/rate-limiting): a read call
# adds a point; the score decays at a steady rate, from its maximum to nothing in 300 s (maximum 9000 on the
# Standard tier, 60 on the development tier); a call past the maximum is refused with HTTP 400, error 17 (subcode
# 2446079, "User request limit reached"), and the account blocked (60 s on the Standard tier, 300 s on the
# development tier). The usage headers report the score as a percentage of its maximum (X-Ad-Account-Usage with
# reset_time_duration, the seconds until the score is back at zero). With `rate_limit` set, this server keeps such
# a score per ad account: the benchmark's decays at the Standard tier's 9000 / 300 = 30 points a second, from a
# maximum of 60 (two seconds' worth, not 300), so that the limit binds within seconds instead of after 9000 calls.
RATE_LIMIT = 30.0
BENCH_MAX_SCORE = 60.0
SCORE_SECONDS = 300  # a full score decays in this many seconds, unless `max_score` says otherwise
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


def _account(path: str) -> str | None:
    match = re.search(r"/act_(\d+)/", path)
    return match.group(1) if match else None


@dataclass
class FakeMetaAds(FakeApi):
    token: str = ""
    page_size: int | None = None  # rows per page; None: the request's `limit`
    usage_percent: float = 5.0  # what the usage headers report on every answer
    regain_minutes: int = 0  # estimated_time_to_regain_access reported with the usage
    currencies: dict = field(default_factory=dict)  # account id (no act_) -> currency
    rows: dict = field(default_factory=dict)  # (account id, campaign id, day) -> row
    rate_limits: list = field(default_factory=list)  # [code, times left] answered before anything else
    max_score: float | None = None  # with `rate_limit`: the score's maximum (None: SCORE_SECONDS of `rate_limit`)
    block_seconds: float = 60.0  # how long an account that passed its maximum is refused
    _scores: dict = field(default_factory=dict)  # account id -> (score, when counted)
    _blocked: dict = field(default_factory=dict)  # account id -> refused until (time.monotonic())
    _found: dict = field(default_factory=dict)  # (account id, first day, last day) -> the rows a query pages

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

    def exhaust(self, account_id: str, seconds: float) -> None:
        """Another app used up the account's score: it is refused for `seconds`."""
        self._scores[account_id] = (self._maximum(), time.monotonic())
        self._blocked[account_id] = time.monotonic() + seconds

    # --- the ad account's score ---------------------------------------------------------------------------
    def _maximum(self) -> float:
        return self.max_score if self.max_score is not None else SCORE_SECONDS * self.rate_limit

    def _score(self, account: str) -> float:
        score, counted = self._scores.get(account, (0.0, 0.0))
        return max(0.0, score - (time.monotonic() - counted) * self.rate_limit)

    def limit_wait(self, path: str) -> float | None:
        account = _account(path)
        if account is None:
            return None
        now = time.monotonic()
        if self._blocked.get(account, 0.0) > now:
            return self._blocked[account] - now
        score = self._score(account)
        if score + 1 > self._maximum():
            self._blocked[account] = now + self.block_seconds
            return self.block_seconds
        self._scores[account] = (score + 1, now)
        return None

    def rate_limited(self, path: str, wait: float) -> tuple[int, dict, dict]:
        account = _account(path)
        return 400, graph_error(17, RATE_LIMIT_MESSAGES[17], 2446079, transient=True), self.usage_headers(
            100.0, math.ceil(wait / 60), self._score(account) / self.rate_limit, [account])

    # --- the API ------------------------------------------------------------------------------------------
    def usage_headers(self, percent: float, regain: int, reset: float = 0.0, accounts=None) -> dict:
        """Usage headers of the app (`usage_percent`) and of the accounts (`percent` of their limit used,
        `regain` minutes until a blocked account is served again, `reset` seconds until its score is back at
        zero)."""
        app = {"call_count": self.usage_percent, "total_cputime": self.usage_percent / 2,
               "total_time": self.usage_percent / 2}
        usage = {"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2}
        business = {account: [{"type": "ads_insights", **usage, "estimated_time_to_regain_access": regain,
                               "ads_api_access_tier": "standard_access"}] for account in accounts or self.currencies}
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(business),
                "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": percent, "reset_time_duration": round(reset, 3),
                                                  "ads_api_access_tier": "standard_access"}),
                "X-FB-Ads-Insights-Throttle": json.dumps({"app_id_util_pct": self.usage_percent,
                                                          "acc_id_util_pct": percent,
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
        return status, payload, {**self._usage(path), **extra}

    def _usage(self, path: str) -> dict:
        """The usage headers of an answer: the account's score when the server keeps one, else `usage_percent`."""
        account = _account(path)
        if self.rate_limit is None or account is None:
            return self.usage_headers(self.usage_percent, self.regain_minutes)
        score = self._score(account)
        return self.usage_headers(100 * score / self._maximum(), self.regain_minutes, score / self.rate_limit,
                                  [account])

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
        query = (account, first, last)
        if "after" not in params or query not in self._found:  # a query's later pages page its first answer
            self._found[query] = sorted((day, campaign, row) for (aid, campaign, day), row in self.rows.items()
                                        if aid == account and first <= day <= last)
        found = self._found[query]
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

"""A LinkedIn Marketing API server on 127.0.0.1 for tests (../shared/api-formats, section f): `adAnalytics`
(`q=analytics`, CAMPAIGN pivot, DAILY granularity, Rest.li 2.0 dateRange and `accounts=List(urn)`), no paging and
at most `element_cap` elements per answer (the rest is cut off), date-range objects and costs as decimal strings;
ad accounts with their currency; campaigns paged by `pageToken`; the LinkedIn-Version header required; 401, 403,
426 and 429 error bodies, and a rate limit answered as LinkedIn answers one."""

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlparse

from tests.fake_apis.base import FakeApi

# LinkedIn publishes its limits per day only (per application and per member, for each endpoint, shown in the
# Developer Portal; reset at midnight UTC), and answers a request over one, or one it refuses "as part of
# infrastructure protection", with HTTP 429 and no Retry-After
# (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits). With no per-second rate published, this
# server refuses past the pace the source keeps by default (pipelines/sources/linkedin_ads/settings.py), in
# calendar seconds, in the benchmark.
RATE_LIMIT = 1.0


def linkedin_error(status: int, code: str, message: str, service_code: int | None = None) -> dict:
    return {"status": status, "code": code, "message": message,
            **({"serviceErrorCode": service_code} if service_code is not None else {})}


def _date(text: str) -> date:
    """The first (year:Y,month:M,day:D) of a Rest.li text."""
    year, month, day = re.search(r"\(year:(\d+),month:(\d+),day:(\d+)\)", text).groups()
    return date(int(year), int(month), int(day))


@dataclass
class FakeLinkedInAds(FakeApi):
    token: str = ""
    supported_versions: tuple = ("202607",)
    element_cap: int = 15_000
    campaign_page_size: int = 2
    accounts: dict = field(default_factory=dict)  # account id -> {"currency", "name"}
    campaigns: dict = field(default_factory=dict)  # campaign id -> (account id, name)
    rows: dict = field(default_factory=dict)  # (campaign id, day) -> row
    raw_queries: list = field(default_factory=list)  # the query strings as they came, undecoded

    def add(self, account_id: str, campaign_id: str, day: date, cost: str, impressions: int, clicks: int,
            leads: int = 0, conversions: int = 0, cost_usd: str | None = None) -> None:
        """Set (or restate) one campaign's day; cost as LinkedIn writes it (a decimal string)."""
        assert self.campaigns[campaign_id][0] == account_id
        self.rows[(campaign_id, day)] = {"cost": cost, "cost_usd": cost_usd or cost, "impressions": impressions,
                                         "clicks": clicks, "leads": leads, "conversions": conversions}

    def analytics_windows(self) -> list[tuple[date, date]]:
        return [(_date(q.split("start:", 1)[1]), _date(q.split("end:", 1)[1]))
                for q in map(unquote, self.raw_queries) if "q=analytics" in q]

    # --- the API ------------------------------------------------------------------------------------------
    def _handle(self, handler, method):
        self.raw_queries.append(urlparse(handler.path).query)
        super()._handle(handler, method)

    def authorized(self, headers, params, path) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> dict:
        return linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)

    def error_body(self, status: int) -> dict:
        if status == 429:
            return linkedin_error(429, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls "
                                  "to this resource is reached.", 101)
        if status == 403:
            return linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to access: adAnalytics.GET.20260701",
                                  100)
        return linkedin_error(status, "INTERNAL_SERVER_ERROR", "Internal Server Error")

    def rate_limited(self, path: str, wait: float) -> tuple[int, dict, dict]:
        return 429, self.error_body(429), {}

    def _answer(self, headers, method, path, params, body):
        if self.authorized(headers, params, path):
            version = headers.get("LinkedIn-Version")
            if not version:
                return 400, linkedin_error(400, "VERSION_MISSING", "A version must be present. Please specify a "
                                           "version by adding the LinkedIn-Version header."), {}
            if version not in self.supported_versions:
                return 426, linkedin_error(426, "NONEXISTENT_VERSION", f"Requested version {version} is not "
                                           "active"), {}
        return super()._answer(headers, method, path, params, body)

    def route(self, method, path, params, body):
        raw = self.raw_queries[-1]
        # Rest.li 2.0: parentheses and colons of the syntax unencoded, URNs inside List(...) percent-encoded.
        if "%28" in raw or "%29" in raw or "List(urn:" in raw:
            return 400, linkedin_error(400, "PARAM_INVALID", "Invalid param. Please see errorDetails for more "
                                       "information.")
        if path == "/rest/adAnalytics":
            return self._analytics(params)
        match = re.fullmatch(r"/rest/adAccounts/(\d+)(/adCampaigns)?", path)
        if not match or match.group(1) not in self.accounts:
            return 404, linkedin_error(404, "NOT_FOUND", f"No route or account: {path}")
        account = match.group(1)
        if not match.group(2):
            return 200, {"id": int(account), "name": self.accounts[account]["name"], "type": "BUSINESS",
                         "status": "ACTIVE", "currency": self.accounts[account]["currency"],
                         "reference": "urn:li:organization:2414183"}
        return self._campaigns(account, params)

    def _campaigns(self, account: str, params: dict):
        assert params.get("q") == "search" and "status:(values:List(" in params.get("search", ""), params
        ids = sorted(c for c, (a, _) in self.campaigns.items() if a == account)
        start = int(params.get("pageToken", 0))
        size = min(int(params.get("pageSize", 100)), self.campaign_page_size)
        page = ids[start:start + size]
        metadata = {"nextPageToken": str(start + size)} if start + size < len(ids) else {}
        return 200, {"elements": [{"id": int(c), "name": self.campaigns[c][1],
                                   "account": f"urn:li:sponsoredAccount:{account}", "status": "ACTIVE"}
                                  for c in page], "metadata": metadata}

    def _analytics(self, params: dict):
        if (params.get("q"), params.get("pivot"), params.get("timeGranularity")) != ("analytics", "CAMPAIGN", "DAILY"):
            return 400, linkedin_error(400, "PARAM_INVALID", f"unexpected finder {params}")
        first, last = _date(params["dateRange"].split("start:", 1)[1]), _date(params["dateRange"].split("end:", 1)[1])
        accounts = re.findall(r"urn:li:sponsoredAccount:(\d+)", params["accounts"])
        fields = params.get("fields", "").split(",")
        found = sorted((day, campaign, row) for (campaign, day), row in self.rows.items()
                       if self.campaigns[campaign][0] in accounts and first <= day <= last)
        elements = [self._element(campaign, day, row, fields) for day, campaign, row in found][:self.element_cap]
        return 200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}

    @staticmethod
    def _element(campaign: str, day: date, row: dict, fields: list[str]) -> dict:
        moment = {"year": day.year, "month": day.month, "day": day.day}
        element = {"pivotValues": [f"urn:li:sponsoredCampaign:{campaign}"],
                   "dateRange": {"start": moment, "end": moment}, "costInLocalCurrency": row["cost"],
                   "costInUsd": row["cost_usd"], "impressions": row["impressions"], "clicks": row["clicks"],
                   "landingPageClicks": row["clicks"], "externalWebsiteConversions": row["conversions"],
                   "oneClickLeads": row["leads"]}
        return {key: value for key, value in element.items() if key in fields}

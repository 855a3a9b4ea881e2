"""Meta Marketing API quirks: insights at campaign level one day per row with metrics as strings, cursor paging that
ends when `paging.next` is absent, rate limits sent as HTTP 400 with an error code, usage headers that say how
close the app, the user and the ad account are to their limits, and errors that name the variable."""

import json
import math
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import HTTPError, Response
from requests.adapters import HTTPAdapter

from pipelines.sources.meta_ads.settings import (
    INSIGHTS_FIELDS,
    LEAD_ACTION,
    PAGE_SIZE,
    PERMISSION_CODES,
    PLATFORM,
    RATE_LIMIT_CODES,
    SLOW_DOWN_AT,
    TOKEN_CODES,
    TRANSIENT_CODES,
    USAGE_HEADERS,
)
from pipelines.sources.rest import SourceError, explain


def graph_error(response: Response | None) -> dict:
    """The `error` object of a Graph API error body ({} when there is none)."""
    if response is None:
        return {}
    try:
        error = response.json().get("error")
    except ValueError:
        return {}
    return error if isinstance(error, dict) else {}


def should_retry(response: Response | None, exception: BaseException | None) -> bool:
    """Meta's rate limits and transient errors come as HTTP 400 with an error code: wait and retry them."""
    if response is None or response.status_code != 400:
        return False
    error = graph_error(response)
    return error.get("code") in RATE_LIMIT_CODES | TRANSIENT_CODES or error.get("is_transient") is True


def _percentages(value: Any) -> Iterator[float]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (int, float)) and (key.endswith("_pct") or key in (
                    "call_count", "total_cputime", "total_time")):
                yield float(item)
            else:
                yield from _percentages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _percentages(item)


def _find(value: Any, key: str) -> Iterator[float]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key and isinstance(item, (int, float)):
                yield float(item)
            else:
                yield from _find(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, key)


def usage(response: Response) -> tuple[float, float, float]:
    """From the usage headers: the highest percentage of any limit used, the seconds Meta says until a blocked
    limit serves again, and the seconds until the usage it reports is back at zero; (0, 0, 0) when there are
    none."""
    highest, regain, reset = 0.0, 0.0, 0.0
    for header in USAGE_HEADERS:
        try:
            value = json.loads(response.headers.get(header) or "null")
        except ValueError:
            continue
        highest = max([highest, *_percentages(value)])
        # estimated_time_to_regain_access is in minutes, reset_time_duration in seconds.
        regain = max([regain, *(60 * m for m in _find(value, "estimated_time_to_regain_access"))])
        reset = max([reset, *_find(value, "reset_time_duration")])
    return highest, regain, reset


class UsageAwareAdapter(HTTPAdapter):
    """Keeps the sync under Meta's limits by what the usage headers say, instead of letting it fail: once a limit is
    more than SLOW_DOWN_AT percent used, the next request waits until it is back at SLOW_DOWN_AT (Meta's scores
    decay at a steady rate, to zero in the `reset_time_duration` it reports), or, when Meta does not say when, a
    pause that grows to `usage_pause` seconds at 100%; never less than what Meta says until blocked access is
    regained. A rate-limit error gets a Retry-After of that wait (`rate_limit_wait` when Meta says nothing), which
    the session's retry honours; every wait is at most `max_wait`."""

    def __init__(self, usage_pause: float, rate_limit_wait: float, max_wait: float, **kwargs):
        super().__init__(**kwargs)
        self.usage_pause, self.rate_limit_wait, self.max_wait = usage_pause, rate_limit_wait, max_wait
        self.not_before = 0.0

    def send(self, *args, **kwargs):
        wait = self.not_before - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        response = super().send(*args, **kwargs)
        highest, regain, reset = usage(response)
        pause = self.pause(highest, regain, reset)
        self.not_before = time.monotonic() + min(pause, self.max_wait)
        if should_retry(response, None) and graph_error(response).get("code") in RATE_LIMIT_CODES:
            wait = pause if regain or reset else max(pause, self.rate_limit_wait)
            response.headers["Retry-After"] = str(max(1, math.ceil(min(wait, self.max_wait))))
        return response

    def pause(self, highest: float, regain: float, reset: float) -> float:
        if highest < SLOW_DOWN_AT:
            return regain
        if reset > 0:
            return max(regain, reset * (highest - SLOW_DOWN_AT) / highest)
        return max(regain, self.usage_pause * min(1.0, (highest - SLOW_DOWN_AT) / (100 - SLOW_DOWN_AT)))


class InsightsPaginator(JSONResponseCursorPaginator):
    """Graph API paging: the next page is asked with `after` = `paging.cursors.after`, and there is none when
    `paging.next` is absent (the last page still carries cursors)."""

    def __init__(self):
        super().__init__(cursor_path="paging.cursors.after", cursor_param="after")

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if not (response.json().get("paging") or {}).get("next"):
            self._has_next_page = False


def explain_error(error: HTTPError) -> SourceError:
    """One line: the token, the account's permission, the account id, or a rate limit that outlasted the
    retries."""
    response = error.response
    status = response.status_code if response is not None else None
    detail = graph_error(response)
    code = detail.get("code")
    account = (response.url.split("/act_", 1)[1].split("/", 1)[0] if response is not None and "/act_" in response.url
               else "?")
    if code in TOKEN_CODES or status == 401:
        return SourceError(f"Meta refused the token (HTTP {status}, error {code}): set META_ACCESS_TOKEN to a valid "
                           "token with the ads_read permission (a system user token does not expire)")
    if code in PERMISSION_CODES or status == 403:
        return SourceError(f"Meta refused access to ad account act_{account} (HTTP {status}, error {code}): give "
                           "META_ACCESS_TOKEN's user ads_read on it, or remove it from META_AD_ACCOUNT_IDS")
    if code == 100 and detail.get("error_subcode") == 33:
        return SourceError(f"Meta has no ad account act_{account} this token can see (error 100): check "
                           "META_AD_ACCOUNT_IDS")
    if code in RATE_LIMIT_CODES:
        return SourceError(f"Meta kept rate-limiting the sync (error {code}) after every retry; what was loaded is "
                           "kept, run the sync again later")
    return explain(error, "Meta", "META_ACCESS_TOKEN", "")


def _number(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def _action_total(actions: Any, action_type: str | None = None) -> float:
    """The sum of the values of a list of Meta action stats ({action_type, value: "3"}), of one type if given;
    no list means none happened."""
    return float(sum((_number(a.get("value")) or 0 for a in actions or []
                      if action_type is None or a.get("action_type") == action_type), Decimal(0)))


def insights_rows(client: RESTClient, account_id: str, first: date, last: date) -> Iterator[list[dict]]:
    """Pages of one ad account's campaign insights, one row per campaign and day, for the days first..last."""
    params = {"level": "campaign", "time_increment": 1, "fields": ",".join(INSIGHTS_FIELDS), "limit": PAGE_SIZE,
              "time_range": json.dumps({"since": first.isoformat(), "until": last.isoformat()})}
    for page in client.paginate(f"/act_{account_id}/insights", params=params, paginator=InsightsPaginator(),
                                data_selector="data"):
        yield [_row(record, account_id) for record in page]


def _row(record: dict, account_id: str) -> dict:
    spend = _number(record.get("spend"))
    return {
        "platform": PLATFORM,
        "account_id": str(record.get("account_id") or account_id),
        "campaign_id": str(record["campaign_id"]),
        "date": date.fromisoformat(record["date_start"]),
        "campaign_name": record.get("campaign_name"),
        "currency": record.get("account_currency"),
        "spend": float(spend) if spend is not None else None,
        "impressions": int(record.get("impressions") or 0),
        "clicks": int(record.get("clicks") or 0),
        "inline_link_clicks": int(record["inline_link_clicks"]) if record.get("inline_link_clicks") else 0,
        "leads": _action_total(record.get("actions"), LEAD_ACTION),
        "conversions": _action_total(record.get("conversions")),
        "actions": record.get("actions"),
    }

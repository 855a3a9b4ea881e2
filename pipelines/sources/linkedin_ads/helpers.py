"""LinkedIn Marketing API quirks: Rest.li 2.0 query syntax (parentheses, colons and commas left as they are, URNs
inside `List(...)` percent-encoded), the `LinkedIn-Version` header, adAnalytics without paging and capped in
size, date-range objects and costs as decimal strings, campaign names and the account currency from their own
endpoints, errors that name the variable."""

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, SinglePagePaginator
from requests import HTTPError

from pipelines.sources.linkedin_ads.settings import (
    ANALYTICS_FIELDS,
    CAMPAIGN_PAGE_SIZE,
    CAMPAIGN_STATUSES,
    PLATFORM,
)
from pipelines.sources.rest import SourceError, checked, explain


def explain_error(error: HTTPError) -> SourceError:
    response = error.response
    status = response.status_code if response is not None else None
    if status == 403:
        account = response.url.split("/adAccounts/", 1)[1].split("/", 1)[0].split("?", 1)[0] \
            if "/adAccounts/" in response.url else None
        where = f"ad account {account}" if account else "the ad accounts' analytics"
        return SourceError(f"LinkedIn refused access to {where} (HTTP 403): set LINKEDIN_ACCESS_TOKEN to a token "
                           "with r_ads and r_ads_reporting of a member with a role on every account of "
                           "LINKEDIN_AD_ACCOUNT_IDS")
    if status == 426:
        return SourceError("LinkedIn no longer serves this API version (HTTP 426): set LINKEDIN_API_VERSION to a "
                           "current one (YYYYMM, see learn.microsoft.com/linkedin/marketing/versioning)")
    if status == 429:
        return SourceError("LinkedIn kept rate-limiting the sync (HTTP 429; its limits are per day) after every "
                           "retry; what was loaded is kept, run the sync again later")
    return explain(error, "LinkedIn", "LINKEDIN_ACCESS_TOKEN", "a valid token with r_ads and r_ads_reporting "
                   "(tokens expire after 60 days)")


def _urn_list(kind: str, ids: list[str]) -> str:
    return "List(" + ",".join(quote(f"urn:li:{kind}:{i}", safe="") for i in ids) + ")"


def _date_range(first: date, last: date) -> str:
    return (f"(start:(year:{first.year},month:{first.month},day:{first.day}),"
            f"end:(year:{last.year},month:{last.month},day:{last.day}))")


def _day(value: dict) -> date:
    return date(value["year"], value["month"], value["day"])


def _decimal(value: Any) -> float | None:
    """A cost sent as a BigDecimal string ("107.5300000000000335346"), read exactly then stored as a double."""
    return float(Decimal(str(value))) if value not in (None, "") else None


class Accounts:
    """Each account's currency and its campaigns' names, asked once per sync."""

    def __init__(self, client: RESTClient):
        self.client = client
        self._currencies: dict[str, str | None] = {}
        self._names: dict[str, dict[str, str]] = {}

    def currency(self, account_id: str) -> str | None:
        if account_id not in self._currencies:
            account = checked(self.client.get(f"/adAccounts/{account_id}")).json()
            self._currencies[account_id] = account.get("currency")
        return self._currencies[account_id]

    def campaign_names(self, account_id: str) -> dict[str, str]:
        if account_id not in self._names:
            path = (f"/adAccounts/{account_id}/adCampaigns?q=search"
                    f"&search=(status:(values:List({','.join(CAMPAIGN_STATUSES)})))")
            paginator = JSONResponseCursorPaginator(cursor_path="metadata.nextPageToken", cursor_param="pageToken")
            self._names[account_id] = {
                str(campaign["id"]): campaign.get("name")
                for page in self.client.paginate(path, params={"pageSize": CAMPAIGN_PAGE_SIZE}, paginator=paginator,
                                                 data_selector="elements")
                for campaign in page}
        return self._names[account_id]


def analytics_rows(client: RESTClient, accounts: Accounts, element_cap: int, account_id: str, first: date,
                   last: date) -> Iterator[list[dict]]:
    """Rows of one account's campaigns for the days first..last (adAnalytics, CAMPAIGN pivot, DAILY). A window
    whose answer reaches the element cap may have been cut short: it is split in two and each half asked."""
    path = (f"/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange={_date_range(first, last)}"
            f"&accounts={_urn_list('sponsoredAccount', [account_id])}&fields={','.join(ANALYTICS_FIELDS)}")
    elements = [element for page in client.paginate(path, paginator=SinglePagePaginator(), data_selector="elements")
                for element in page]
    if len(elements) >= element_cap:
        if first == last:
            raise SourceError(f"LinkedIn ad account {account_id} has more than {element_cap} campaigns with activity "
                              f"on {first}: more than one adAnalytics answer can hold")
        middle = first + timedelta(days=(last - first).days // 2)
        yield from analytics_rows(client, accounts, element_cap, account_id, first, middle)
        yield from analytics_rows(client, accounts, element_cap, account_id, middle + timedelta(days=1), last)
        return
    if elements:
        currency, names = accounts.currency(account_id), accounts.campaign_names(account_id)
        yield [_row(element, account_id, currency, names) for element in elements]


def _row(element: dict, account_id: str, currency: str | None, names: dict[str, str]) -> dict:
    campaign_id = element["pivotValues"][0].rsplit(":", 1)[1]
    return {
        "platform": PLATFORM,
        "account_id": account_id,
        "campaign_id": campaign_id,
        "date": _day(element["dateRange"]["start"]),
        "campaign_name": names.get(campaign_id),
        "currency": currency,
        "cost_in_local_currency": _decimal(element.get("costInLocalCurrency")),
        "cost_in_usd": _decimal(element.get("costInUsd")),
        "impressions": int(element.get("impressions") or 0),
        "clicks": int(element.get("clicks") or 0),
        "landing_page_clicks": int(element.get("landingPageClicks") or 0),
        "external_website_conversions": int(element.get("externalWebsiteConversions") or 0),
        "one_click_leads": int(element.get("oneClickLeads") or 0),
    }

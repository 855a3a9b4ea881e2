"""A seeded, deterministic sample of exports for a B2B SaaS company over 24 months.

Contacts arrive through paid and organic channels, some companies buy yearly contracts, renew or churn, a few
expand; three ad platforms spend (Google Ads in USD), each platform's spend written as its UI report download
(Google Ads campaign report, Meta Ads Manager export, LinkedIn campaign performance export); a cost ledger holds
salaries, commissions, tools and an agency. Each contact's journey holds several touches: discovery before it
becomes a lead (ads, search, referrals, a brand search just before the form), then nurturing (emails, retargeting,
webinars, events) and sales meetings; buyers went to more webinars, events and meetings, so the attribution models
credit channels differently. The same seed always writes the same files.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

START = date(2024, 11, 1)
END = date(2026, 10, 31)
COUNTRIES = {"FR": 0.3, "DE": 0.2, "GB": 0.15, "US": 0.2, "ES": 0.08, "NL": 0.07}
INDUSTRIES = ["software", "retail", "finance", "healthcare", "manufacturing"]
CURRENCY_BY_COUNTRY = {"GB": "GBP", "US": "USD"}


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    platform: str
    channel: str
    currency: str
    daily_budget: float


CAMPAIGNS = [
    Campaign("g-brand", "Brand - Search", "google_ads", "paid_search", "USD", 60),
    Campaign("g-generic", "Generic - Search", "google_ads", "paid_search", "USD", 140),
    Campaign("m-prospecting", "Prospecting - EU", "meta_ads", "paid_social", "EUR", 80),
    Campaign("m-retargeting", "Retargeting - EU", "meta_ads", "paid_social", "EUR", 35),
    Campaign("li-abm", "ABM - Decision makers", "linkedin_ads", "paid_social", "EUR", 110),
]
# Each platform's spend as its UI report: the file's name, its lines before the header, the header, and a row's
# values from (day, campaign, spend, impressions, clicks).
REPORTS = {
    "google_ads": ("Google Ads campaign report.csv", ["Campaign report", f"{START:%B %-d, %Y} - {END:%B %-d, %Y}"],
                   ["Day", "Campaign", "Campaign ID", "Currency code", "Cost", "Impr.", "Clicks", "Conversions"],
                   lambda day, c, spend, impressions, clicks: [day.isoformat(), c.name, c.campaign_id, c.currency,
                                                               f"{spend:,.2f}", f"{impressions:,}", clicks, "--"]),
    "meta_ads": ("Meta Ads Manager export.csv", [],
                 ["Reporting starts", "Reporting ends", "Campaign name", "Campaign ID", "Day", "Amount spent (EUR)",
                  "Impressions", "Clicks (all)", "Results"],
                 lambda day, c, spend, impressions, clicks: [START.isoformat(), END.isoformat(), c.name,
                                                             c.campaign_id, day.isoformat(), f"{spend:.2f}",
                                                             impressions, clicks, ""]),
    "linkedin_ads": ("LinkedIn campaign performance.csv",
                     ["Campaign Performance Report", f"Report Start: {START:%-m/%-d/%Y}",
                      f"Report End: {END:%-m/%-d/%Y}", "Account ID: 500000001", ""],
                     ["Start Date (in UTC)", "Campaign Name", "Campaign ID", "Currency", "Total Spent",
                      "Impressions", "Clicks", "Conversions", "Leads"],
                     lambda day, c, spend, impressions, clicks: [f"{day:%-m/%-d/%Y}", c.name, c.campaign_id,
                                                                 c.currency, f"{spend:.2f}", impressions, clicks,
                                                                 "", ""]),
}
ORGANIC = {"organic_search": 0.22, "referral": 0.1, "direct": 0.1, "events": 0.05}
# Discovery before a contact becomes a lead: (channel, campaign, weight).
DISCOVERY = [("paid_social", "m-prospecting", 0.3), ("paid_social", "li-abm", 0.15), ("organic_search", "", 0.25),
             ("referral", "", 0.1), ("paid_search", "g-generic", 0.2)]


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _ts(day: date, rng: random.Random) -> str:
    return datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.randint(0, 59), rng.randint(0, 59)
                    ).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, rows: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _write_report(path: Path, preamble: list[str], header: list[str], rows: list[list]) -> int:
    """A UI report: its preamble lines, header and rows; a Google Ads report ends with its `Total:` rows."""
    with path.open("w", newline="") as handle:
        handle.writelines(f"{line}\n" for line in preamble)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        if header[0] == "Day" and rows:
            total = sum(float(row[4].replace(",", "")) for row in rows)
            for scope in ("Account", "Search", "Campaigns"):
                writer.writerow([f"Total: {scope}", "--", "--", rows[0][3], f"{total:,.2f}", "", "", "--"])
    return len(rows)


def _add_year(day: date) -> date:
    return day.replace(year=day.year + 1) - timedelta(days=1) if not (day.month == 2 and day.day == 29) \
        else date(day.year + 1, 2, 28)


def _parse(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _add_journeys(contacts: list[dict], deals: list[dict], touchpoints: list[dict], rng: random.Random) -> None:
    """Touches around each contact's first visit, and its MQL and SQL dates: discovery before the lead (and often a
    brand search minutes before the form), nurturing after it, sales meetings while its company's first deal is open.
    Buyers' contacts went to more webinars, events and meetings. A separate generator, so that every other file is
    the same as without journeys."""
    last = datetime(END.year, END.month, END.day, 23, 59, 59)
    first_deals: dict[str, dict] = {}
    for deal in deals:
        first_deals.setdefault(deal["company_id"], deal)
    first_contacts = {deal["contact_id"] for deal in first_deals.values()}

    def touch(contact_id: str, moment: datetime, channel: str, campaign: str, kind: str) -> None:
        if moment <= last:
            touchpoints.append({"touchpoint_id": f"tp-{len(touchpoints) + 1:06d}", "contact_id": contact_id,
                                "touched_at": _stamp(moment), "channel": channel, "campaign_id": campaign,
                                "touch_type": kind})

    for contact in contacts:
        contact_id, lead_at = contact["contact_id"], _parse(contact["lead_at"])
        deal = first_deals.get(contact["company_id"])
        outcome = deal["status"] if deal else "none"
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            channel, campaign, _ = rng.choices(DISCOVERY, [w for *_, w in DISCOVERY])[0]
            touch(contact_id, lead_at - timedelta(days=rng.randint(6, 60), hours=rng.randint(0, 12)), channel,
                  campaign, "ad_click" if campaign else "visit")
        if rng.random() < 0.35 and contact["original_campaign_id"] != "g-brand":
            touch(contact_id, lead_at - timedelta(minutes=rng.randint(2, 90)), "paid_search", "g-brand", "ad_click")
        until = min(_parse(deal["closed_at"]) if deal and deal["closed_at"] else last, last)
        days = max((until - lead_at).days, 1)
        lift = {"won": 1.0, "lost": 0.45, "open": 0.45, "none": 0.2}[outcome]
        for _ in range(rng.randint(1, 4)):
            touch(contact_id, lead_at + timedelta(days=rng.uniform(1, days)), "email", "nurture-newsletter", "email")
        if rng.random() < 0.3:
            touch(contact_id, lead_at + timedelta(days=rng.uniform(1, days)), "paid_social", "m-retargeting",
                  "ad_click")
        if rng.random() < 0.5 * lift:
            touch(contact_id, lead_at + timedelta(days=rng.uniform(1, days)), "webinar", "webinar-monthly", "webinar")
        if rng.random() < 0.35 * lift:
            touch(contact_id, lead_at + timedelta(days=rng.uniform(1, days)), "events", "event-saas-summit", "event")
        engaged = rng.random() < 0.35 + 0.4 * lift
        mql = lead_at + timedelta(days=rng.randint(2, 20)) if engaged else None
        contact["mql_at"] = _stamp(mql) if mql and mql <= last else ""
        contact["sql_at"] = ""
        if deal and contact_id in first_contacts:
            opened = _parse(deal["created_at"])
            sql = max(opened - timedelta(days=rng.randint(0, 5)), lead_at)
            contact["sql_at"] = _stamp(sql) if sql <= last else ""
            if contact["mql_at"] and contact["sql_at"] and contact["mql_at"] > contact["sql_at"]:
                contact["mql_at"] = contact["sql_at"]
            meetings = rng.randint(2, 4) if outcome == "won" else rng.randint(1, 2)
            span = max((until - opened).total_seconds(), 3600)
            for _ in range(meetings):
                touch(contact_id, opened + timedelta(seconds=rng.uniform(0, span)), "sales", "", "meeting")


def generate(exports_dir: Path, seed: int = 7) -> dict[str, int]:
    """Write the sample exports into `exports_dir`; returns rows written per file."""
    rng = random.Random(seed)
    written: dict[str, int] = {}

    # FX: ECB-style EUR base, business days only (weekends use Friday's rate).
    fx_rows, usd, gbp = [], 1.08, 0.85
    for day in _days(START - timedelta(days=31), END):
        usd *= 1 + rng.gauss(0, 0.003)
        gbp *= 1 + rng.gauss(0, 0.002)
        if day.weekday() < 5:
            fx_rows.append({"date": day.isoformat(), "base": "EUR", "quote": "USD", "rate": f"{usd:.4f}"})
            fx_rows.append({"date": day.isoformat(), "base": "EUR", "quote": "GBP", "rate": f"{gbp:.4f}"})
    written["fx_rates.csv"] = _write(exports_dir / "fx_rates.csv", fx_rows)

    # Paid media: daily spend per campaign, growing over the two years, as each platform's UI report.
    report_rows: dict[str, list[list]] = {platform: [] for platform in REPORTS}
    total_days = (END - START).days
    for day in _days(START, END):
        growth = 0.8 + 0.6 * (day - START).days / total_days
        for c in CAMPAIGNS:
            spend = c.daily_budget * growth * rng.uniform(0.7, 1.3)
            clicks = int(spend / rng.uniform(1.5, 4.0))
            spend = round(spend, 2)
            report_rows[c.platform].append(REPORTS[c.platform][3](day, c, spend, clicks * rng.randint(20, 60), clicks))
    for platform, (name, preamble, header, _) in REPORTS.items():
        written[name] = _write_report(exports_dir / name, preamble, header, report_rows[platform])

    # Companies and their contacts.
    channel_weights = {**{c.campaign_id: 0.53 * c.daily_budget / sum(x.daily_budget for x in CAMPAIGNS)
                          for c in CAMPAIGNS}, **ORGANIC}
    sources, weights = list(channel_weights), list(channel_weights.values())
    campaigns_by_id = {c.campaign_id: c for c in CAMPAIGNS}
    companies, contacts, touchpoints = [], [], []
    for n in range(1, 1101):
        country = rng.choices(list(COUNTRIES), list(COUNTRIES.values()))[0]
        first_day = START + timedelta(days=int(total_days * rng.random() ** 0.85))
        companies.append({"company_id": f"co-{n:04d}", "name": f"Company {n}", "country": country,
                          "industry": rng.choice(INDUSTRIES), "employees": int(rng.lognormvariate(4, 1.2)) + 2,
                          "created_at": first_day.isoformat(), "updated_at": _ts(first_day, rng)})
    contact_number = 0
    for company in companies:
        first_day = date.fromisoformat(company["created_at"])
        for k in range(rng.choice([1, 1, 2, 2, 3, 4])):
            contact_number += 1
            created = min(END, first_day + timedelta(days=rng.randint(0, 40) * (k > 0)))
            source = rng.choices(sources, weights)[0]
            campaign = campaigns_by_id.get(source)
            channel = campaign.channel if campaign else source
            contact_id = f"ct-{contact_number:05d}"
            created_ts = _ts(created, rng)
            contacts.append({
                "contact_id": contact_id, "created_at": created_ts, "email": f"person{contact_number}@example.com",
                "company_id": company["company_id"], "lifecycle_stage": "lead", "lead_at": created_ts,
                "customer_at": "", "original_channel": channel,
                "original_campaign_id": campaign.campaign_id if campaign else "", "country": company["country"],
                "industry": company["industry"], "company_size": "", "updated_at": created_ts})
            touch_day = created - timedelta(days=rng.randint(0, 5))
            touchpoints.append({"touchpoint_id": f"tp-{len(touchpoints) + 1:06d}", "contact_id": contact_id,
                                "touched_at": _ts(touch_day, rng), "channel": channel,
                                "campaign_id": campaign.campaign_id if campaign else "", "touch_type": "first_visit"})
            for _ in range(rng.randint(0, 2)):
                extra = rng.choice(["email", "webinar", "organic_search", "direct"])
                touchpoints.append({"touchpoint_id": f"tp-{len(touchpoints) + 1:06d}", "contact_id": contact_id,
                                    "touched_at": _ts(created + timedelta(days=rng.randint(1, 30)), rng),
                                    "channel": extra, "campaign_id": "", "touch_type": "engagement"})

    # Deals: some companies buy a yearly contract, renew or churn at its end, a few expand.
    contacts_by_company: dict[str, list[dict]] = {}
    for contact in contacts:
        contacts_by_company.setdefault(contact["company_id"], []).append(contact)
    deals, won_by_month = [], {}
    for company in companies:
        people = contacts_by_company[company["company_id"]]
        first_contact = people[0]
        paid = first_contact["original_campaign_id"] != ""
        if rng.random() > (0.32 if paid else 0.26):
            continue
        created = date.fromisoformat(first_contact["created_at"][:10]) + timedelta(days=rng.randint(3, 30))
        closed = created + timedelta(days=rng.randint(10, 110))
        if created > END:
            continue
        currency = CURRENCY_BY_COUNTRY.get(company["country"], "EUR")
        size = company["employees"]
        amount = round(rng.uniform(3000, 9000) * (1 + min(size, 2000) / 400), -2)
        outcome = "open" if closed > END else rng.choices(["won", "lost"], [0.5, 0.5])[0]
        deal_number = len(deals) + 1
        base = {"company_id": company["company_id"], "contact_id": first_contact["contact_id"],
                "currency": currency, "pipeline": "default"}
        if outcome != "won":
            deals.append({**base, "deal_id": f"dl-{deal_number:05d}", "created_at": _ts(created, rng),
                          "status": outcome, "closed_at": "" if outcome == "open" else _ts(closed, rng),
                          "amount": f"{amount:.2f}", "deal_type": "new", "contract_start": "",
                          "contract_end": "", "stage": "closed" + outcome if outcome != "open" else "proposal",
                          "updated_at": _ts(min(closed, END), rng)})
            continue
        start, kind, value = closed, "new", amount
        for person in people:
            person["lifecycle_stage"] = "customer"
            person["customer_at"] = _ts(closed, rng)
            person["updated_at"] = person["customer_at"]
        while start <= END:
            end = _add_year(start)
            deals.append({**base, "deal_id": f"dl-{len(deals) + 1:05d}", "created_at": _ts(start - timedelta(
                days=rng.randint(5, 40) if kind == "new" else 20), rng), "status": "won",
                "closed_at": _ts(start, rng), "amount": f"{value:.2f}", "deal_type": kind,
                "contract_start": start.isoformat(), "contract_end": end.isoformat(), "stage": "closedwon",
                "updated_at": _ts(start, rng)})
            won_by_month[start.strftime("%Y-%m")] = won_by_month.get(start.strftime("%Y-%m"), 0) + value
            expansion_day = start + timedelta(days=rng.randint(60, 300))
            if rng.random() < 0.15 and expansion_day <= min(END, end):
                extra = round(value * rng.uniform(0.2, 0.5), -2)
                deals.append({**base, "deal_id": f"dl-{len(deals) + 1:05d}",
                              "created_at": _ts(expansion_day - timedelta(days=14), rng), "status": "won",
                              "closed_at": _ts(expansion_day, rng), "amount": f"{extra:.2f}",
                              "deal_type": "expansion", "contract_start": expansion_day.isoformat(),
                              "contract_end": end.isoformat(), "stage": "closedwon",
                              "updated_at": _ts(expansion_day, rng)})
            if rng.random() > 0.78:  # churns at the end of this contract
                break
            start, kind, value = end + timedelta(days=1), "renewal", round(value * rng.uniform(1.0, 1.1), -2)
    _add_journeys(contacts, deals, touchpoints, random.Random(seed + 1))
    written["companies.csv"] = _write(exports_dir / "companies.csv", companies)
    written["contacts.csv"] = _write(exports_dir / "contacts.csv", contacts)
    written["touchpoints.csv"] = _write(exports_dir / "touchpoints.csv", touchpoints)
    written["deals.csv"] = _write(exports_dir / "deals.csv", deals)

    # The cost ledger: monthly payroll and agency, quarterly tools (one billed in USD), commissions on wins.
    costs = []
    month = START
    while month <= END:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = following - timedelta(days=1)
        key = month.strftime("%Y-%m")
        for team, category, amount, description in (
            ("marketing", "salaries", 21000, "Marketing team payroll"),
            ("sales", "salaries", 34000, "Sales team payroll"),
            ("marketing", "agency", 4500, "Content agency retainer"),
        ):
            costs.append({"cost_id": f"{key}-{team}-{category}", "start_date": month.isoformat(),
                          "end_date": last.isoformat(), "team": team, "category": category,
                          "amount": f"{amount * rng.uniform(0.97, 1.03):.2f}", "currency": "EUR",
                          "description": description})
        costs.append({"cost_id": f"{key}-sales-commissions", "start_date": month.isoformat(),
                      "end_date": last.isoformat(), "team": "sales", "category": "commissions",
                      "amount": f"{0.08 * won_by_month.get(key, 0):.2f}", "currency": "EUR",
                      "description": "8% commission on contracts won"})
        if month.month in (1, 4, 7, 10):
            quarter_end = (month.replace(day=1) + timedelta(days=92)).replace(day=1) - timedelta(days=1)
            costs.append({"cost_id": f"{key}-marketing-tools", "start_date": month.isoformat(),
                          "end_date": min(quarter_end, END).isoformat(), "team": "marketing", "category": "tools",
                          "amount": "5400.00", "currency": "USD", "description": "Marketing automation (USD)"})
        month = following
    written["costs.csv"] = _write(exports_dir / "costs.csv", costs)
    return written

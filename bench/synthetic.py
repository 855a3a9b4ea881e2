"""Seeded synthetic exports at any scale, written by DuckDB itself (generating them must not be the slow part).

Scale is set by the number of ad spend rows N: N/5 contacts, N/25 deals, 3N/5 touchpoints. A Google Ads UI report
(`write_google_ads_report`) is written apart, with the same rows as a plain CSV.
"""

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Scale:
    spend_rows: int
    contacts: int
    deals: int
    touchpoints: int

    @classmethod
    def from_spend_rows(cls, rows: int) -> "Scale":
        return cls(rows, max(rows // 5, 10), max(rows // 25, 2), max(rows * 3 // 5, 10))

    def as_dict(self) -> dict:
        return asdict(self)


CAMPAIGNS_PER_DAY = 2000


def write_exports(folder: Path, scale: Scale, seed: float = 0.42, spend_only: bool = False) -> dict[str, Path]:
    """Write ad_spend.csv (and contacts, deals, touchpoints, fx_rates, costs) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed})")
    campaigns = min(CAMPAIGNS_PER_DAY, max(scale.spend_rows // 365, 1))
    files = {"ad_spend": folder / "ad_spend.csv"}
    con.execute(f"""
        COPY (
            SELECT DATE '2015-01-01' + CAST(i // {campaigns} AS INTEGER) AS date,
                   ['google_ads', 'meta', 'linkedin'][1 + (i % {campaigns}) % 3] AS platform,
                   'cmp-' || (i % {campaigns}) AS campaign_id,
                   round(random() * 200, 2) AS spend,
                   CASE WHEN (i % {campaigns}) % 3 = 0 THEN 'USD' ELSE 'EUR' END AS currency,
                   'acct-' || ((i % {campaigns}) % 7) AS account_id,
                   'Campaign ' || (i % {campaigns}) AS campaign_name,
                   CASE WHEN (i % {campaigns}) % 3 = 0 THEN 'paid_search' ELSE 'paid_social' END AS channel,
                   CAST(random() * 10000 AS INTEGER) AS impressions,
                   CAST(random() * 300 AS INTEGER) AS clicks
            FROM range({scale.spend_rows}) t(i)
        ) TO '{files["ad_spend"]}' (HEADER)""")
    if spend_only:
        return files
    files["contacts"] = folder / "contacts.csv"
    con.execute(f"""
        COPY (
            SELECT 'ct-' || i AS contact_id,
                   TIMESTAMP '2015-01-01' + to_seconds(CAST(random() * 3e8 AS BIGINT)) AS created_at,
                   'person' || i || '@example.com' AS email,
                   'co-' || (i // 3) AS company_id,
                   'lead' AS lifecycle_stage,
                   ['paid_search', 'paid_social', 'organic_search', 'referral'][1 + i % 4] AS original_channel,
                   'cmp-' || (i % {campaigns}) AS original_campaign_id,
                   ['FR', 'DE', 'US', 'GB'][1 + i % 4] AS country,
                   ['software', 'retail', 'finance'][1 + i % 3] AS industry,
                   TIMESTAMP '2025-01-01' AS updated_at
            FROM range({scale.contacts}) t(i)
        ) TO '{files["contacts"]}' (HEADER)""")
    files["deals"] = folder / "deals.csv"
    con.execute(f"""
        COPY (
            SELECT 'dl-' || i AS deal_id, 'co-' || (i * 5 % {max(scale.contacts // 3, 1)}) AS company_id,
                   created_at,
                   status,
                   CASE WHEN status <> 'open' THEN created_at + to_days(CAST(random() * 120 AS INTEGER)) END
                       AS closed_at,
                   round(1000 + random() * 20000, 2) AS amount,
                   CASE WHEN i % 4 = 0 THEN 'USD' ELSE 'EUR' END AS currency,
                   'new' AS deal_type,
                   TIMESTAMP '2025-01-01' AS updated_at
            FROM (SELECT i, TIMESTAMP '2015-01-01' + to_seconds(CAST(random() * 3e8 AS BIGINT)) AS created_at,
                         ['won', 'lost', 'open'][1 + i % 3] AS status
                  FROM range({scale.deals}) t(i))
        ) TO '{files["deals"]}' (HEADER)""")
    files["touchpoints"] = folder / "touchpoints.csv"
    con.execute(f"""
        COPY (
            SELECT 'tp-' || i AS touchpoint_id, 'ct-' || (i % {scale.contacts}) AS contact_id,
                   TIMESTAMP '2015-01-01' + to_seconds(CAST(random() * 3e8 AS BIGINT)) AS touched_at,
                   ['paid_search', 'paid_social', 'email', 'webinar'][1 + i % 4] AS channel,
                   'cmp-' || (i % {campaigns}) AS campaign_id, 'click' AS touch_type
            FROM range({scale.touchpoints}) t(i)
        ) TO '{files["touchpoints"]}' (HEADER)""")
    files["fx_rates"] = folder / "fx_rates.csv"
    con.execute(f"""
        COPY (SELECT DATE '2014-12-01' + CAST(d AS INTEGER) AS date, 'EUR' AS base, 'USD' AS quote,
                     round(1.05 + random() * 0.1, 4) AS rate FROM range(4200) t(d)
        ) TO '{files["fx_rates"]}' (HEADER)""")
    files["costs"] = folder / "costs.csv"
    con.execute(f"""
        COPY (SELECT 'k-' || m AS cost_id,
                     CAST(DATE '2015-01-01' + to_months(CAST(m AS INTEGER)) AS DATE) AS start_date,
                     CAST(DATE '2015-01-01' + to_months(CAST(m + 1 AS INTEGER)) - INTERVAL 1 DAY AS DATE) AS end_date,
                     'sales' AS team, 'salaries' AS category, 50000 AS amount, 'EUR' AS currency
              FROM range(130) t(m)
        ) TO '{files["costs"]}' (HEADER)""")
    return files


def write_delta(folder: Path, source: Path, kind: str, share: float, stamp: str, seed: float) -> Path:
    """Re-export `share` of the rows of `source` with a later updated_at, as `<kind>_delta_<stamp>.csv`."""
    con = duckdb.connect()
    con.execute(f"SELECT setseed({seed})")
    target = folder / f"{kind}_delta_{stamp}.csv"
    con.execute(f"""
        COPY (SELECT * REPLACE (TIMESTAMP '{stamp}' AS updated_at)
              FROM read_csv('{source}', all_varchar=true) WHERE random() < {share}
        ) TO '{target}' (HEADER)""")
    return target


GOOGLE_ADS_REPORT_PREAMBLE = 'Campaign report\n"January 1, 2015 - December 31, 2024"\n'


def write_google_ads_report(folder: Path, rows: int, seed: float = 0.42) -> tuple[Path, Path]:
    """The same `rows` campaign days twice: as a Google Ads UI campaign report (its two preamble lines, thousands
    separators, `--` for some empty conversions, its three `Total:` rows) and as a plain CSV (ISO dates, bare
    numbers, empty for none). Returns (report, plain)."""
    folder.mkdir(parents=True, exist_ok=True)
    report, plain, body = folder / "Campaign report.csv", folder / "campaign_days_plain.csv", folder / "body.csv"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed})")
    con.execute(f"""
        CREATE TABLE days AS
        SELECT i, DATE '2015-01-01' + CAST(i // {CAMPAIGNS_PER_DAY} AS INTEGER) AS day,
               'Campaign ' || (i % {CAMPAIGNS_PER_DAY}) AS campaign,
               CAST(9000000000 + i % {CAMPAIGNS_PER_DAY} AS BIGINT) AS campaign_id, 'USD' AS currency,
               round(random() * 2500, 2) AS cost, CAST(random() * 20000 AS INTEGER) AS impressions,
               CAST(random() * 300 AS INTEGER) AS clicks,
               CASE WHEN i % 10 = 0 THEN NULL ELSE round(random() * 10, 2) END AS conversions
        FROM range({rows}) t(i)""")
    con.execute(f"COPY (SELECT * EXCLUDE (i) FROM days ORDER BY i) TO '{plain}' (HEADER)")
    con.execute(f"""
        COPY (SELECT * EXCLUDE (part, i) FROM (
              SELECT 0 AS part, i, day AS "Day", campaign AS "Campaign", campaign_id AS "Campaign ID",
                     currency AS "Currency code", format('{{:,.2f}}', cost) AS "Cost",
                     format('{{:,}}', impressions) AS "Impr.", format('{{:,}}', clicks) AS "Clicks",
                     coalesce(format('{{:.2f}}', conversions), '--') AS "Conversions" FROM days
              UNION ALL
              SELECT 1, 0, 'Total: ' || total, '--', NULL, 'USD', format('{{:,.2f}}', sum(cost)),
                     format('{{:,}}', sum(impressions)), format('{{:,}}', sum(clicks)),
                     format('{{:.2f}}', sum(conversions))
              FROM days, (VALUES ('Account'), ('Search'), ('Campaigns')) t(total) GROUP BY total)
              ORDER BY part, i
        ) TO '{body}' (HEADER)""")
    with report.open("w") as target, body.open() as source:
        target.write(GOOGLE_ADS_REPORT_PREAMBLE)
        shutil.copyfileobj(source, target, 1 << 20)
    body.unlink()
    return report, plain

"""`payback summary`'s paid-spend table: the last complete quarter's spend by platform and channel, converted,
beside what was paid in each currency, and the campaign-days a missing rate left out."""

import pytest

from pipelines.spend_summary import spend_summary
from pipelines.warehouse import connect
from tests.conftest import Project


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("spend_summary"), PAYBACK_AS_OF="2025-07-15")
    project.write("ad_spend.csv", """
        date,platform,campaign_id,campaign_name,spend,currency
        2025-03-31,google_ads,g1,Brand search,999,EUR
        2025-04-10,google_ads,g1,Brand search,100,EUR
        2025-05-10,meta_ads,m1,Spring leads,50,USD
        2025-06-30,meta_ads,m1,Spring leads,30,USD
        2025-06-30,meta_ads,m2,Retargeting,20,EUR
        2025-05-01,linkedin_ads,l1,ABM,20,GBP
        2025-07-02,google_ads,g1,Brand search,70,EUR
    """)
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2025-04-01,EUR,USD,1.25
    """)
    project.run()
    return project


def test_last_complete_quarter_by_platform_and_channel(built):
    """As of 2025-07-15 the last complete quarter is 2025-Q2 (March's 999 and July's 70 are outside it).
    Meta: 50 + 30 USD at 1.25 USD per EUR = 64 EUR, plus 20 EUR = 84 EUR. Google: 100 EUR. LinkedIn: 20 GBP has no
    rate, so no converted spend (—, never 0) and one campaign-day left out."""
    with connect(built.settings, read_only=True) as con:
        title, columns, rows = spend_summary(con, "EUR")
    assert title == "Paid spend — 2025-Q2 by platform and channel"
    assert columns == ["platform", "channel", "spend (EUR)", "paid in", "left out"]
    assert rows == [
        ("google_ads", "paid_search", pytest.approx(100), "EUR 100", ""),
        ("meta_ads", "paid_social", pytest.approx(84), "USD 80 + EUR 20", ""),
        ("linkedin_ads", "paid_social", None, "GBP 20", "1 campaign-day(s) without a rate"),
    ]


def test_no_complete_quarter_yet(tmp_path):
    project = Project(tmp_path, PAYBACK_AS_OF="2025-05-15")
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency
        2025-04-10,google_ads,g1,100,EUR
    """)
    project.run()
    with connect(project.settings, read_only=True) as con:
        assert spend_summary(con, "EUR")[0] == "Paid spend — no complete quarter with spend yet"

"""Multi-touch attribution (METRICS: Attribution), on paths small enough to follow by pen.

The Markov chain is first checked on its own (pipelines.attribution.markov), then every model through the whole
pipeline on this fixture (reporting currency EUR, time zone UTC, lookback 90 days, half-life 7 days, every touch at
12:00 UTC, PAYBACK_AS_OF 2026-06-30):

  account A (company A, FR): contacts a1 (lead 2025-03-10 12:00) and a2 (lead 2025-03-20 12:00);
      deal dA created 2025-03-25 (the opportunity), won 2025-04-10 12:00, 1200 EUR: A is acquired then.
  account B (company B, DE): contact b1 (lead 2025-03-05 12:00); no deal: B never converts.
  contact c1 (no company, ES, original source organic_search): lead 2025-04-02 12:00, no touch;
      deal dC created 2025-04-05, won 2025-04-20 12:00, 600 EUR.

  touch  contact  day         channel         campaign
  t01    a1       2025-01-01  paid_search     g1       in a1's lead path (68 days before it); 99 days before A's
                                                       acquisition: outside the 90-day lookback of A's path
  t02    a1       2025-03-01  paid_social     m1
  t03    a1       2025-03-10  email           -        at a1's lead moment itself: in its path
  t04    a2       2025-03-15  webinar         w1
  t05    a2       2025-03-28  paid_social     m1
  t06    a1       2025-04-05  events          -
  t07    a1       2025-04-15  paid_search     g1       after A's acquisition: no part of any path
  t08    b1       2025-03-01  paid_social     m1
  t09    b1       2025-03-04  email           -

Paths:
  lead a1: paid_search, paid_social, email          lead a2: webinar         lead b1: paid_social, email
  lead c1: organic_search (its original source stands in for the empty path)
  customer A (2025-04-10): paid_social (t02), email (t03), webinar (t04), paid_social (t05), events (t06)
      the lead-creation touch is t03 (the last at or before the account's first lead, a1 on 03-10): position 2;
      the opportunity-creation touch is t04 (the last at or before dA's creation on 03-25): position 3.
  customer contact:c1 (2025-04-20): organic_search (stand-in)
  customer B: paid_social, email, never converted, dated by its last touch (2025-03-04)

Spend: g1 (paid_search) 60 EUR on 2025-03-15 and 100 on 2025-04-15; m1 (paid_social) 90 on 2025-03-15 and 50 on
2025-04-15. Ledger: k1, 300 EUR of marketing salaries over April 2025.
"""

import pytest

from pipelines.attribution.markov import Chain
from tests.conftest import Project, failed_checks

MODELS = ("first_touch", "last_touch", "linear", "position_based", "w_shaped", "time_decay", "markov")


def chain(paths: list[tuple[str, bool]], order: int = 1) -> Chain:
    """A chain fitted on paths written 'a > b' (True: converted), as intermediate.attribution_transitions counts
    their steps."""
    steps = {}
    for path, converted in paths:
        channels = path.split(" > ")
        state: tuple[str, ...] = ()
        for channel in channels:
            steps[(state, channel, None)] = steps.get((state, channel, None), 0) + 1
            state = (*state, channel)[-order:]
        end = (state, None, "conversion" if converted else "null")
        steps[end] = steps.get(end, 0) + 1
    return Chain.fit([(state, channel, ends_in, count) for (state, channel, ends_in), count in steps.items()], order)


def test_markov_removal_effects_by_hand_with_paths_that_never_converted():
    """Paths a > b (converted), c > b and c (never converted). Steps: start -> a 1, start -> c 2; a -> b 1;
    c -> b 1, c -> null 1; b -> conversion 1, b -> null 1.
    P(conversion) = 1/3 * 1 * 1/2 + 2/3 * 1/2 * 1/2 = 1/6 + 1/6 = 1/3.
    Without a: start -> a leads to null: 1/6, removal effect 1 - (1/6)/(1/3) = 1/2. Without c: 1/6, effect 1/2.
    Without b: nothing converts: effect 1. One conversion, shared 1/2 : 1 : 1/2 = a 1/4, b 1/2, c 1/4."""
    fitted = chain([("a > b", True), ("c > b", False), ("c", False)])
    assert fitted.conversion_probability() == pytest.approx(1 / 3)
    effects = fitted.removal_effects()
    assert {channel: effect for channel, (_, effect) in effects.items()} == pytest.approx(
        {"a": 0.5, "b": 1.0, "c": 0.5})
    assert {channel: without for channel, (without, _) in effects.items()} == pytest.approx(
        {"a": 1 / 6, "b": 0.0, "c": 1 / 6})
    assert fitted.credits() == pytest.approx({"a": 0.25, "b": 0.5, "c": 0.25})


def test_markov_keeps_repeated_channels_as_self_loops():
    """Paths a > a > b (converted) and a (never converted). Steps: start -> a 2; a -> a 1, a -> b 1, a -> null 1;
    b -> conversion 1. From a: x_a = 1/3 x_a + 1/3 x_b, x_b = 1 -> x_a = 1/2 = P(conversion).
    Without b: a -> b leads to null: 0, effect 1. Without a: 0, effect 1. Credits 1/2 each.
    Collapsing the repeat (a > b) would give x_a = 1/2 as well but through other steps: the self loop a -> a is
    counted (it is in the chain's states, not dropped)."""
    fitted = chain([("a > a > b", True), ("a", False)])
    assert fitted.between[fitted.states.index(("a",)), fitted.states.index(("a",))] == 1
    assert fitted.conversion_probability() == pytest.approx(0.5)
    assert fitted.credits() == pytest.approx({"a": 0.5, "b": 0.5})


def test_markov_order_two_remembers_the_previous_channel():
    """Paths a > b (converted) and b > a (never converted).
    First order: start -> a 1/2, -> b 1/2; a -> b 1/2, a -> null 1/2; b -> conversion 1/2, b -> a 1/2.
    x_a = 1/2 x_b, x_b = 1/2 + 1/2 x_a -> x_b = 2/3, x_a = 1/3, P = 1/2. Without a: x_b = 1/2, P = 1/4, effect 1/2;
    without b: P = 0, effect 1. Credits a 1/3, b 2/3.
    Second order: states (a), (a, b), (b), (b, a); (a, b) converts, (b, a) does not: P = 1/2, and removing either
    channel removes both paths: effects 1 and 1, credits 1/2 each."""
    paths = [("a > b", True), ("b > a", False)]
    assert chain(paths).credits() == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    second = chain(paths, order=2)
    assert second.conversion_probability() == pytest.approx(0.5)
    assert second.credits() == pytest.approx({"a": 0.5, "b": 0.5})


def write_fixture(project: Project) -> None:
    project.write("fx_rates.csv", """
        date,base,quote,rate
        2024-12-01,EUR,USD,1.25
    """)
    project.write("companies.csv", """
        company_id,name,country,industry,employees
        A,Acme,FR,software,40
        B,Beta,DE,retail,500
    """)
    project.write("contacts.csv", """
        contact_id,created_at,company_id,lead_at,mql_at,sql_at,original_channel,original_campaign_id,country
        a1,2025-03-10T12:00:00Z,A,,2025-03-12T12:00:00Z,2025-03-24T12:00:00Z,paid_search,g1,
        a2,2025-03-20T12:00:00Z,A,,,,webinar,w1,
        b1,2025-03-05T12:00:00Z,B,,2025-03-06T12:00:00Z,,paid_social,m1,
        c1,2025-04-02T12:00:00Z,,,,,organic_search,,ES
    """)
    project.write("deals.csv", """
        deal_id,company_id,contact_id,created_at,status,closed_at,amount,currency,deal_type
        dA,A,a1,2025-03-25,won,2025-04-10T12:00:00Z,1200,EUR,new
        dC,,c1,2025-04-05,won,2025-04-20T12:00:00Z,600,EUR,new
    """)
    project.write("touchpoints.csv", """
        touchpoint_id,contact_id,touched_at,channel,campaign_id
        t01,a1,2025-01-01T12:00:00Z,paid_search,g1
        t02,a1,2025-03-01T12:00:00Z,paid_social,m1
        t03,a1,2025-03-10T12:00:00Z,email,
        t04,a2,2025-03-15T12:00:00Z,webinar,w1
        t05,a2,2025-03-28T12:00:00Z,paid_social,m1
        t06,a1,2025-04-05T12:00:00Z,events,
        t07,a1,2025-04-15T12:00:00Z,paid_search,g1
        t08,b1,2025-03-01T12:00:00Z,paid_social,m1
        t09,b1,2025-03-04T12:00:00Z,email,
    """)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,spend,currency,channel
        2025-03-15,google_ads,g1,60,EUR,paid_search
        2025-04-15,google_ads,g1,100,EUR,paid_search
        2025-03-15,meta,m1,90,EUR,paid_social
        2025-04-15,meta,m1,50,EUR,paid_social
    """)
    project.write("costs.csv", """
        cost_id,start_date,end_date,team,category,amount,currency
        k1,2025-04-01,2025-04-30,marketing,salaries,300,EUR
    """)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("attribution"), PAYBACK_AS_OF="2026-06-30")
    write_fixture(project)
    result = project.run()
    assert failed_checks(result) == {}
    return project


def path(project, event, path_id):
    return project.query("SELECT channel, converted FROM intermediate.attribution_paths WHERE conversion_event = ? "
                         "AND path_id = ? ORDER BY touch_position", [event, path_id])


def credits(project, event, path_id, model):
    """A conversion's credit per touch position, under a rule-based model."""
    return [value for (value,) in project.query(
        f"SELECT {model} FROM intermediate.attribution_paths WHERE conversion_event = ? AND path_id = ? "
        "ORDER BY touch_position", [event, path_id])]


def channel_credit(project, grain, start, event, model):
    return dict(project.query(
        "SELECT channel, sum(credit) FROM marts.attribution WHERE period_grain = ? AND period_start = ? "
        "AND conversion_event = ? AND model = ? GROUP BY channel", [grain, start, event, model]))


def test_paths_end_at_the_conversion_and_start_within_the_lookback(built):
    # t01 is 68 days before a1's lead (in its path) but 99 days before A's acquisition (out of A's); t07 comes after
    # the acquisition; c1 has no touch, so its original source stands in; B never converted.
    assert path(built, "lead", "a1") == [("paid_search", True), ("paid_social", True), ("email", True)]
    assert path(built, "customer", "A") == [
        ("paid_social", True), ("email", True), ("webinar", True), ("paid_social", True), ("events", True)]
    assert path(built, "customer", "contact:c1") == [("organic_search", True)]
    assert built.one("SELECT is_stand_in FROM intermediate.attribution_paths WHERE path_id = 'contact:c1'") == (True,)
    assert path(built, "customer", "B") == [("paid_social", False), ("email", False)]
    assert built.one("SELECT DISTINCT anchor_date::VARCHAR FROM intermediate.attribution_paths "
                     "WHERE conversion_event = 'customer' AND path_id = 'B'") == ("2025-03-04",)


def test_rule_based_credits_of_account_a(built):
    """A's path: 1 paid_social, 2 email, 3 webinar, 4 paid_social, 5 events (days before the acquisition: 40, 31,
    26, 13, 5).
    first touch: 1 to touch 1; last touch: 1 to touch 5; linear: 1/5 each;
    position-based: 0.4 first, 0.4 last, 0.2/3 to each of the three in between;
    W-shaped: first touch 0.3, lead creation (touch 2) 0.3, opportunity creation (touch 3) 0.3, the other two 0.05;
    time decay: 2^(-days/7), divided by their sum."""
    weights = [2 ** (-days / 7) for days in (40, 31, 26, 13, 5)]
    expected = {
        "first_touch": [1, 0, 0, 0, 0],
        "last_touch": [0, 0, 0, 0, 1],
        "linear": [0.2] * 5,
        "position_based": [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4],
        "w_shaped": [0.3, 0.3, 0.3, 0.05, 0.05],
        "time_decay": [w / sum(weights) for w in weights],
    }
    for model, values in expected.items():
        assert credits(built, "customer", "A", model) == pytest.approx(values), model


def test_rule_based_credits_of_lead_a1(built):
    """a1's path: 1 paid_search, 2 paid_social, 3 email (68, 9 and 0 days before its lead).
    W-shaped: the lead-creation touch is the last one (the path ends at the lead); the opportunity (dA, 03-25) comes
    after the lead, so that role is not on the path: raw shares 0.3 (first), 0.1 (the other), 0.3 (lead creation),
    scaled by 1/0.7: 3/7, 1/7, 3/7. Position-based with three touches: 0.4, 0.2, 0.4."""
    assert credits(built, "lead", "a1", "w_shaped") == pytest.approx([3 / 7, 1 / 7, 3 / 7])
    assert credits(built, "lead", "a1", "position_based") == pytest.approx([0.4, 0.2, 0.4])
    weights = [2 ** (-days / 7) for days in (68, 9, 0)]
    assert credits(built, "lead", "a1", "time_decay") == pytest.approx([w / sum(weights) for w in weights])


def test_linear_counts_each_occurrence(built):
    # A's path holds paid_social twice in five touches: 2/5 of A. With c1's stand-in, April's customers by linear:
    # paid_social 0.4, email 0.2, webinar 0.2, events 0.2, organic_search 1.
    assert channel_credit(built, "month", "2025-04-01", "customer", "linear") == pytest.approx(
        {"paid_social": 0.4, "email": 0.2, "webinar": 0.2, "events": 0.2, "organic_search": 1.0})


def test_markov_credits_of_april_by_hand(built):
    """April 2025, customer event: paths A (paid_social > email > webinar > paid_social > events, converted) and
    c1 (organic_search, converted); B is dated in March. Steps: start -> paid_social 1, -> organic_search 1;
    paid_social -> email 1, -> events 1; email -> webinar 1; webinar -> paid_social 1; events -> conversion 1;
    organic_search -> conversion 1. Every path converts: P = 1.
    Without paid_social: only c1's half converts: 1/2, effect 1/2. Without organic_search: 1/2, effect 1/2.
    Without events: from paid_social, x = 1/2 x (through email, webinar, back) -> 0: P = 1/2, effect 1/2.
    Without email: from paid_social, 1/2 to events (converts), 1/2 to null: P = 1/2 * 1/2 + 1/2 = 3/4, effect
    1/4; webinar likewise 1/4. Sum of effects 2; 2 conversions: paid_social 1/2, organic_search 1/2, events 1/2,
    email 1/4, webinar 1/4."""
    assert channel_credit(built, "month", "2025-04-01", "customer", "markov") == pytest.approx(
        {"paid_social": 0.5, "organic_search": 0.5, "events": 0.5, "email": 0.25, "webinar": 0.25})
    effects = dict(built.query("SELECT channel, removal_effect FROM intermediate.markov_removal_effects "
                               "WHERE period_grain = 'month' AND period_start = '2025-04-01' "
                               "AND conversion_event = 'customer'"))
    assert effects == pytest.approx({"paid_social": 0.5, "organic_search": 0.5, "events": 0.5, "email": 0.25,
                                     "webinar": 0.25})


def test_markov_year_row_includes_the_path_that_never_converted(built):
    """2025, customer event: A and c1 converted, B (paid_social > email) did not. Steps: start -> paid_social 2,
    -> organic_search 1; paid_social -> email 2, -> events 1; email -> webinar 1, -> null 1; webinar ->
    paid_social 1; events -> conversion 1; organic_search -> conversion 1.
    x_ps = 2/3 x_email + 1/3, x_email = 1/2 x_webinar = 1/2 x_ps -> x_ps = 1/2; P = 2/3 * 1/2 + 1/3 = 2/3.
    Without paid_social: 1/3 (effect 1/2); without organic_search: 1/3 (1/2); without events: x_ps = 1/3 x_ps -> 0,
    P = 1/3 (1/2); without email: x_ps = 1/3, P = 5/9 (effect 1 - 5/6 = 1/6); without webinar: the same (1/6).
    Sum 11/6; 2 conversions: paid_social, organic_search, events 6/11 each; email, webinar 2/11 each."""
    assert channel_credit(built, "year", "2025-01-01", "customer", "markov") == pytest.approx(
        {"paid_social": 6 / 11, "organic_search": 6 / 11, "events": 6 / 11, "email": 2 / 11, "webinar": 2 / 11})


def test_markov_campaigns_and_revenue(built):
    """April: paid_social's 1/2 goes to m1, its only campaign in the converting paths (t02, t05). Revenue: each
    channel's credit carries the revenue of the conversions it touched, per touch: paid_social 1/2 / 2 touches * (2 x
    1200) = 600, email 1/4 * 1200 = 300, webinar 300, events 1/2 * 1200 = 600, organic_search 1/2 * 600 = 300;
    sum 2100, scaled to the conversions' 1800 (A 1200 + c1 600): times 6/7."""
    rows = {(channel, campaign): (credit, revenue) for channel, campaign, credit, revenue in built.query(
        "SELECT channel, campaign_id, credit, revenue FROM marts.attribution WHERE period_grain = 'month' "
        "AND period_start = '2025-04-01' AND conversion_event = 'customer' AND model = 'markov'")}
    assert rows == {
        ("paid_social", "m1"): pytest.approx((0.5, 600 * 6 / 7)),
        ("email", None): pytest.approx((0.25, 300 * 6 / 7)),
        ("webinar", "w1"): pytest.approx((0.25, 300 * 6 / 7)),
        ("events", None): pytest.approx((0.5, 600 * 6 / 7)),
        ("organic_search", None): pytest.approx((0.5, 300 * 6 / 7)),
    }


def test_credits_sum_to_the_conversions_under_every_model(built):
    # March: 3 leads (a1, a2, b1); April: 1 lead (c1), 2 customers (A, c1), revenue 1800; every grain.
    totals = built.query("SELECT period_grain, period_start::VARCHAR, conversion_event, model, sum(credit), "
                         "sum(revenue) FROM marts.attribution GROUP BY ALL")
    expected = {("month", "2025-03-01", "lead"): (3, None), ("month", "2025-04-01", "lead"): (1, None),
                ("month", "2025-04-01", "customer"): (2, 1800), ("quarter", "2025-01-01", "lead"): (3, None),
                ("quarter", "2025-04-01", "lead"): (1, None), ("quarter", "2025-04-01", "customer"): (2, 1800),
                ("year", "2025-01-01", "lead"): (4, None), ("year", "2025-01-01", "customer"): (2, 1800)}
    found = {}
    for grain, start, event, model, credit, revenue in totals:
        found.setdefault((grain, start, event), {})[model] = (credit, revenue)
    assert set(found) == set(expected)
    for key, (conversions, revenue) in expected.items():
        assert set(found[key]) == set(MODELS), key
        for model, (credit, total_revenue) in found[key].items():
            assert credit == pytest.approx(conversions), (key, model)
            assert total_revenue == (None if revenue is None else pytest.approx(revenue)), (key, model)
    # Each conversion's rule-based credits sum to 1.
    assert built.query("SELECT conversion_event, path_id FROM intermediate.attribution_paths WHERE converted "
                       "GROUP BY ALL HAVING abs(sum(first_touch) - 1) > 1e-9 OR abs(sum(last_touch) - 1) > 1e-9 "
                       "OR abs(sum(linear) - 1) > 1e-9 OR abs(sum(position_based) - 1) > 1e-9 "
                       "OR abs(sum(w_shaped) - 1) > 1e-9 OR abs(sum(time_decay) - 1) > 1e-9") == []


def test_comparison_shows_each_models_share(built):
    # April's 2 customers, paid_social's share: first touch 1/2 (A's first touch), last touch 0 (A's is events),
    # linear 0.4 / 2, position-based (0.4 + 0.2/3) / 2, W-shaped (0.3 + 0.05) / 2, Markov 0.5 / 2.
    row = built.one("SELECT conversions, first_touch, last_touch, linear, position_based, w_shaped, markov "
                    "FROM marts.attribution_comparison WHERE period_grain = 'month' AND period_start = '2025-04-01' "
                    "AND conversion_event = 'customer' AND channel = 'paid_social'")
    assert row == pytest.approx((2, 0.5, 0, 0.2, (0.4 + 0.2 / 3) / 2, 0.35 / 2, 0.25))


def test_channel_economics_of_april_by_hand(built):
    """April 2025, linear: spend paid_search 100 (g1), paid_social 50 (m1); the ledger's 300 follows spend:
    paid_search 200, paid_social 100. Customers: paid_social 0.4 (of A), organic_search 1 (c1), email, webinar,
    events 0.2 each. paid_social: paid CAC 50 / 0.4 = 125, CAC 150 / 0.4 = 375, revenue 0.4 * 1200 = 480, ROAS
    480 / 50 = 9.6, realized LTV at 12 months 480 / 0.4 = 1200 (April's last acquisition, 04-20, has had 12 months
    by 2026-06-30), LTV:CAC 1200 / 375 = 3.2 >= 3: on target. paid_search: cost 300, no customer: CAC NULL."""
    rows = {channel: values for channel, *values in built.query(
        "SELECT channel, spend, sm_cost, attributed_leads, attributed_customers, paid_cac, cac, attributed_revenue, "
        "roas, realized_ltv_12m, ltv_to_cac, status FROM marts.channel_economics WHERE period_grain = 'month' "
        "AND period_start = '2025-04-01' AND model = 'linear'")}
    assert rows["paid_social"][:10] == pytest.approx([50, 150, 0, 0.4, 125, 375, 480, 9.6, 1200, 3.2])
    assert rows["paid_social"][10] == "on_target"
    assert rows["paid_search"][:4] == pytest.approx([100, 300, 0, 0])
    assert rows["paid_search"][4:6] == [None, None] and rows["paid_search"][10] == "unknown"
    assert rows["organic_search"][2:4] == pytest.approx([1, 1])
    # The channels sum to the period: spend 150, S&M cost 450, 1 lead, 2 customers.
    sums = [sum(values[i] for values in rows.values()) for i in range(4)]
    assert sums == pytest.approx([150, 450, 1, 2])
    assert built.one("SELECT paid_spend, sm_cost, new_leads, new_customers FROM marts.cac WHERE period_grain = "
                     "'month' AND period_start = '2025-04-01'") == pytest.approx((150, 450, 1, 2))


def test_campaign_economics_sum_to_their_channel(built):
    mismatches = built.query("""
        SELECT c.period_grain, c.period_start, c.model, c.channel
        FROM (SELECT period_grain, period_start, model, channel, sum(spend) AS spend, sum(sm_cost) AS sm_cost,
                     sum(attributed_leads) AS leads, sum(attributed_customers) AS customers
              FROM marts.campaign_economics GROUP BY ALL) c
        JOIN marts.channel_economics e USING (period_grain, period_start, model, channel)
        WHERE abs(c.spend - e.spend) > 1e-6 OR abs(c.sm_cost - e.sm_cost) > 1e-6
           OR abs(c.leads - e.attributed_leads) > 1e-9 OR abs(c.customers - e.attributed_customers) > 1e-9""")
    assert mismatches == []


def test_cac_by_segment_spreads_spend_by_the_attribution_model(built):
    """With 4 customers the default model is linear (markov needs 100 converting paths). March leads: a1 (paid_search
    g1, paid_social m1, email: 1/3 each), a2 (webinar w1: 1), b1 (paid_social m1, email: 1/2 each).
    m1 spent 90 in March, credited 1/3 (a1) + 1/2 (b1) = 5/6: a1 carries 90 * (1/3)/(5/6) = 36, b1 54.
    g1 spent 60, all a1's. By country: FR (a1, a2) 60 + 36 = 96, DE (b1) 54. By campaign: leads g1 1/3, m1 5/6,
    w1 1, unknown (email) 1/3 + 1/2 = 5/6; CPL m1 = 90 / (5/6) = 108."""
    assert built.one("SELECT model, converting_customer_paths FROM intermediate.attribution_model") == ("linear", 2)

    def segments(dimension, columns):
        return {segment: values for segment, *values in built.query(
            f"SELECT segment, {columns} FROM marts.cac_by_segment WHERE period_grain = 'month' "
            "AND period_start = '2025-03-01' AND dimension = ?", [dimension])}

    assert segments("country", "attributed_spend, new_leads") == {
        "FR": pytest.approx([96, 2]), "DE": pytest.approx([54, 1])}
    assert segments("campaign", "attributed_spend, new_leads, cpl") == {
        "g1": pytest.approx([60, 1 / 3, 180]), "m1": pytest.approx([90, 5 / 6, 108]),
        "w1": pytest.approx([0, 1, 0]), "unknown": pytest.approx([0, 5 / 6, 0])}
    assert built.one("SELECT DISTINCT attribution_model FROM marts.cac_by_segment") == ("linear",)


def test_funnel_counts_each_stage_the_crm_records(built):
    """March 2025: leads a1, a2, b1; MQLs a1 (03-12), b1 (03-06); SQL a1 (03-24); opportunity: A's deal dA created
    03-25 (for a1 and a2, both leads before it). April: lead c1, opportunity c1 (dC, 04-05), customers a1, a2 (A on
    04-10) and c1 (04-20). Channels: a1 paid_search (first touch), a2 webinar, b1 paid_social, c1 organic_search."""
    rows = {(start, channel): values for start, channel, *values in built.query(
        "SELECT period_start::VARCHAR, channel, leads, mqls, sqls, opportunities, customers FROM marts.funnel "
        "WHERE period_grain = 'month' ORDER BY ALL")}
    assert rows == {
        ("2025-03-01", "paid_search"): [1, 1, 1, 1, 0],
        ("2025-03-01", "webinar"): [1, 0, 0, 1, 0],
        ("2025-03-01", "paid_social"): [1, 1, 0, 0, 0],
        ("2025-04-01", "organic_search"): [1, 0, 0, 1, 1],
        ("2025-04-01", "paid_search"): [0, 0, 0, 0, 1],
        ("2025-04-01", "webinar"): [0, 0, 0, 0, 1],
    }
    # Q1 + Q2 as a year: 4 leads, 2 MQLs, 1 SQL, 3 opportunities, 3 customers.
    year = built.one("SELECT sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(customers) FROM marts.funnel "
                     "WHERE period_grain = 'year' AND period_start = '2025-01-01'")
    assert year == (4, 2, 1, 3, 3)


def test_summary_channel_table_names_the_model(built):
    from pipelines.attribution.summary import channel_summary
    from pipelines.warehouse import connect

    with connect(built.settings, read_only=True) as con:
        title, columns, rows = channel_summary(con)
    # PAYBACK_AS_OF 2026-06-30: the last complete quarter with data is 2025-Q2 (data ends 2025-04-20).
    assert title == "Channels — 2025-Q2 by linear attribution (default: 2 acquisitions, too few for markov (100))"
    assert columns == ["channel", "spend", "customers", "CAC", "LTV:CAC", "status"]
    assert rows[0][:3] == ("paid_search", pytest.approx(100), 0.0)
    assert rows[1][:4] == ("paid_social", pytest.approx(50), 0.4, pytest.approx(375))

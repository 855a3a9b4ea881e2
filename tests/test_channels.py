"""Channels: one channel map (transforms/channel_map.csv, or CHANNEL_MAP_FILE) turns what every source says — a
channel name of its own, UTM source and medium, the ad platform and campaign name — into the same channel names
for spend, touchpoints and contacts' original source; what no rule knows is listed by a WARN check, never silently
'other'."""

import pytest
from dagster import AssetCheckSeverity

from pipelines.channel_map import SHIPPED, check
from pipelines.config import ConfigError, Settings
from pipelines.freshness import settings_version
from tests.conftest import Project, failed_checks

SPEND = """
    date,platform,campaign_id,campaign_name,channel,spend,currency
    2025-01-10,google_ads,yt-launch,YouTube - Launch,,100,EUR
    2025-01-10,google_ads,g-brand,Brand - Search,,100,EUR
    2025-01-10,google_ads,g-gdn,Remarketing GDN,,100,EUR
    2025-01-10,google_ads,g-pmax,Performance Max,display,100,EUR
    2025-01-10,meta_ads,m-1,Prospecting,,100,EUR
    2025-01-10,quora_ads,q-1,Questions,,100,EUR
    2025-01-10,bing_ads,b-1,Generic,Paid Search,100,EUR
"""
TOUCHPOINTS = """
    touchpoint_id,contact_id,touched_at,channel,campaign_id,utm_source,utm_medium
    t1,c1,2025-01-05,,,google,cpc
    t2,c1,2025-01-06,,,Facebook,Paid
    t3,c1,2025-01-07,,,linkedin,social
    t4,c1,2025-01-08,,,newsletter,email
    t5,c1,2025-01-09,Trade Show,,,
    t6,c1,2025-01-09,Podcast,,,
    t7,c1,2025-01-10,,yt-launch,,
    t8,c1,2025-01-11,Paid Social,,google,cpc
"""
CONTACTS = """
    contact_id,created_at,original_channel
    c1,2025-01-05,EMAIL_MARKETING
    c2,2025-01-06,SOCIAL_MEDIA
    c3,2025-01-07,
    c4,2025-01-08,Podcast
"""


def write_exports(project: Project) -> None:
    project.write("ad_spend.csv", SPEND)
    project.write("touchpoints.csv", TOUCHPOINTS)
    project.write("contacts.csv", CONTACTS)


def channels(project: Project) -> dict:
    return {
        "spend": dict(project.query("SELECT campaign_id, channel FROM staging.spend")),
        "touchpoints": dict(project.query("SELECT touchpoint_id, channel FROM staging.touchpoints")),
        "contacts": dict(project.query("SELECT contact_id, original_channel FROM staging.contacts")),
    }


def test_the_shipped_map_turns_platforms_campaigns_and_utms_into_channels(tmp_path):
    project = Project(tmp_path)
    write_exports(project)
    failed = failed_checks(project.run())
    found = channels(project)
    # Each by the first rule of transforms/channel_map.csv that matches, or as given when it is a known channel:
    assert found["spend"] == {
        "yt-launch": "video",  # google_ads and a campaign name with 'youtube'
        "g-brand": "paid_search",  # google_ads, any other campaign
        "g-gdn": "display",  # google_ads and 'gdn' in the name
        "g-pmax": "display",  # the export's own channel, a known one, wins over the platform's rule
        "m-1": "paid_social",  # meta_ads
        "q-1": "quora_ads",  # no rule: its platform, listed by the WARN below
        "b-1": "paid_search",  # 'Paid Search' is the known channel paid_search, written otherwise
    }
    assert found["touchpoints"] == {
        "t1": "paid_search",  # utm google / cpc
        "t2": "paid_social",  # utm Facebook / Paid
        "t3": "organic_social",  # utm linkedin / social
        "t4": "email",  # utm medium email
        "t5": "events",  # the label 'Trade Show'
        "t6": "podcast",  # no rule: the name given, listed by the WARN below
        "t7": "video",  # only a campaign id: the campaign's platform and name in the spend, as its spend
        "t8": "paid_social",  # a known channel given wins over the UTM parameters
    }
    assert found["contacts"] == {"c1": "email", "c2": "organic_social", "c3": None, "c4": "podcast"}

    # What no rule knows is a WARN naming each value, with its rows and tables; no other check fails.
    unmapped = failed.pop("staging/channels:channel_values_mapped")
    assert unmapped.severity == AssetCheckSeverity.WARN
    assert unmapped.metadata["failing_keys"].value == (
        "- label=podcast: no rule of the channel map: 2 row(s) of contacts, touchpoints, counted as podcast\n"
        "- platform=quora_ads, campaign=Questions: no rule of the channel map: 1 row(s) of spend, counted as "
        "quora_ads")
    assert failed == {}


def test_spend_and_touches_of_a_campaign_meet_on_its_channel(tmp_path):
    """A touch that names only a campaign gets the channel of that campaign's spend: CAC by channel joins them."""
    project = Project(tmp_path)
    project.write("ad_spend.csv", """
        date,platform,campaign_id,campaign_name,spend,currency
        2025-01-10,google_ads,yt-launch,YouTube - Launch,300,EUR
    """)
    project.write("contacts.csv", "contact_id,created_at\nc1,2025-01-12\n")
    project.write("touchpoints.csv", "touchpoint_id,contact_id,touched_at,campaign_id\nt1,c1,2025-01-11,yt-launch\n")
    project.run()
    # One lead, credited to the video channel, which spent 300: CPL 300.
    assert project.one("SELECT attributed_spend, new_leads, cpl FROM marts.cac_by_segment WHERE dimension = "
                       "'channel' AND segment = 'video' AND period_grain = 'month' AND period_start = '2025-01-01'"
                       ) == (300, 1, 300)


def test_channel_map_file_replaces_the_shipped_map(tmp_path):
    own = tmp_path / "my_channels.csv"
    own.write_text("channel,platform,campaign_pattern,utm_source,utm_medium,label\n"
                   "audio,,,,,podcast|spotify\n"
                   "paid_search,google_ads|bing_ads,,,,\n"
                   "paid_social,,,,paid|cpc,\n")
    project = Project(tmp_path / "project", CHANNEL_MAP_FILE=str(own))
    write_exports(project)
    failed = failed_checks(project.run())
    found = channels(project)
    assert found["touchpoints"]["t6"] == "audio" and found["contacts"]["c4"] == "audio"
    # Only this map's channels are known: google_ads is paid search whatever its campaign names, the export's
    # 'display' is no channel of it (its platform's rule decides), and utm medium cpc is paid social here.
    assert found["spend"] == {"yt-launch": "paid_search", "g-brand": "paid_search", "g-gdn": "paid_search",
                              "g-pmax": "paid_search", "m-1": "meta_ads", "q-1": "quora_ads", "b-1": "paid_search"}
    assert found["touchpoints"]["t1"] == "paid_social"
    listed = failed["staging/channels:channel_values_mapped"].metadata["failing_keys"].value
    assert "- label=email_marketing: no rule of the channel map: 1 row(s) of contacts, counted as email_marketing" \
        in listed
    assert "- label=trade_show: " in listed and "platform=meta_ads, campaign=Prospecting: " in listed


def test_an_edit_of_the_map_rebuilds_what_it_decides(tmp_path):
    own = tmp_path / "map.csv"
    own.write_text("channel,platform,campaign_pattern,utm_source,utm_medium,label\naudio,,,,,podcast\n")
    settings = Settings.from_env({"CHANNEL_MAP_FILE": str(own)})
    before = settings_version(settings)
    own.write_text("channel,platform,campaign_pattern,utm_source,utm_medium,label\nreferral,,,,,podcast\n")
    assert settings_version(settings) != before


@pytest.mark.parametrize("text,reason", [
    ("channel,platform,utm_source,utm_medium\nemail,,,email\n",
     "needs the columns channel, platform, campaign_pattern, utm_source, utm_medium, label (comma-separated, with a "
     "header line); missing campaign_pattern, label"),
    ("channel,platform,campaign_pattern,utm_source,utm_medium,label\nvideo,,youtube(,,,\n",
     "line 2: campaign_pattern 'youtube(' is not a regular expression (missing ): youtube()"),
    ("channel,platform,campaign_pattern,utm_source,utm_medium,label\nemail,,,,,\n",
     "line 2 has no condition: fill at least one of platform, campaign_pattern, utm_source, utm_medium, label"),
    ("channel,platform,campaign_pattern,utm_source,utm_medium,label\n,google_ads,,,,\n", "line 2 gives no channel"),
])
def test_a_bad_channel_map_stops_the_start_naming_the_line(tmp_path, text, reason):
    own = tmp_path / "map.csv"
    own.write_text(text)
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"CHANNEL_MAP_FILE": str(own)})
    assert str(error.value) == f"CHANNEL_MAP_FILE='{own}' is not a channel map: {reason} (docs/channels.md)"


def test_the_shipped_map_is_valid_and_gives_the_documented_channels():
    import csv

    assert check(SHIPPED) > 0
    with SHIPPED.open() as handle:
        given = {row["channel"] for row in csv.DictReader(handle)}
    assert {"paid_search", "paid_social", "display", "video", "email", "organic_search", "organic_social",
            "referral", "events", "direct", "webinar", "sales"} <= given

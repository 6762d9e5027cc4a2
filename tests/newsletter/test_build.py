"""Building a week: the known week 47 gives known figures, sections and privacy; quiet weeks stay honest."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from newsletter_data import AMSTERDAM, PRIVATE_NAMES, WEEK, Page, add_posts

from core.store.sources import sync_sources
from newsletter.build import build_week, safe_url, shorten
from newsletter.render import render
from newsletter.weeks import (
    last_full_week,
    latest_send,
    parse_week,
    period_label,
    previous_week,
    week_of,
    week_range,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_weeks_are_local_iso_weeks():
    since, until = week_range("2026-W47", "Europe/Amsterdam")
    assert since == datetime(2026, 11, 16, tzinfo=AMSTERDAM) and until == datetime(2026, 11, 23, tzinfo=AMSTERDAM)
    assert since.utcoffset() == timedelta(hours=1)
    # Summer time ends on Sunday 25 October 2026: that week is 169 hours long.
    since, until = week_range("2026-W43", ZoneInfo("Europe/Amsterdam"))
    assert until.astimezone(timezone.utc) - since.astimezone(timezone.utc) == timedelta(hours=169)
    assert previous_week("2026-W01") == "2025-W52"
    assert previous_week("2027-W01") == "2026-W53"  # 2026 has 53 ISO weeks
    assert week_of(datetime(2027, 1, 3, 12, tzinfo=AMSTERDAM), AMSTERDAM) == "2026-W53"
    assert last_full_week(datetime(2026, 11, 23, 8, tzinfo=AMSTERDAM), AMSTERDAM) == WEEK
    assert period_label("2026-W47") == "16 – 22 november 2026"
    assert period_label("2026-W49") == "30 november – 6 december 2026"
    assert period_label("2026-W53") == "28 december 2026 – 3 januari 2027"
    for bad, why in (("2026-47", "look like"), ("2025-W53", "no week 53"), ("", "look like")):
        with pytest.raises(ValueError, match=why):
            parse_week(bad)


def test_latest_send_moment():
    monday_8 = datetime(2026, 11, 23, 8, 0, tzinfo=AMSTERDAM)
    assert latest_send(monday_8, "mon", "08:00", AMSTERDAM) == monday_8
    assert latest_send(monday_8 - timedelta(minutes=1), "mon", "08:00", AMSTERDAM) == monday_8 - timedelta(days=7)
    assert latest_send(datetime(2026, 11, 27, 12, tzinfo=AMSTERDAM), "fri", "09:30", AMSTERDAM) == \
        datetime(2026, 11, 27, 9, 30, tzinfo=AMSTERDAM)


def test_links_and_excerpts():
    assert safe_url("https://gemeente.groningen.nl/afval") == "https://gemeente.groningen.nl/afval"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>", "/media/x.jpg",
                "//cdn.example/x.jpg", "http://", None, ""):
        assert safe_url(bad) is None, bad
    assert shorten("een  twee\ndrie", 100) == "een twee drie"
    assert shorten("Container bij de Vismarkt zit al drie dagen vol", 30) == "Container bij de Vismarkt zit …"


def test_known_week(filled, newsroom_config):
    with filled.connect() as conn:
        data = build_week(conn, newsroom_config, WEEK, "Europe/Amsterdam")

    assert data["quiet"] is False
    figures = data["figures"]
    assert (figures["posts"], figures["negative"], figures["neutral"], figures["positive"], figures["unscored"]) == \
        (33, 13, 8, 11, 1)
    # The mood is over scored stories: the one story two outlets carried counts once.
    stories = figures["story_counts"]
    assert figures["stories"] == 32 and figures["sample"] == 31 == stories["negative"] + stories["neutral"] + stories["positive"]
    assert figures["net_sentiment"] == round(100 * (stories["positive"] - stories["negative"]) / 31, 1)
    assert figures["low_sample"] is False and figures["margin"] is not None
    assert figures["previous"]["posts"] == 12 and figures["previous"]["net_sentiment"] == round(100 * (4 - 3) / 12, 1)
    # 12 scored stories the week before: too few to compare with
    assert figures["previous"]["low_sample"] is True
    assert figures["change"] == {"posts": 21, "posts_percent": 175, "net_sentiment": None}
    channels = {c["channel"]: (c["posts"], c["previous"]["posts"]) for c in data["channels"]}
    assert channels == {"news": (9, 4), "forum": (7, 2), "social": (17, 6)}
    assert data["stories_count"]["stories"] == 32 and data["stories_count"]["amplified"] == 1

    days = data["trend"]["days"]
    assert [d["label"] for d in days] == ["ma 16", "di 17", "wo 18", "do 19", "vr 20", "za 21", "zo 22"]
    assert [d["posts"] for d in days] == [5, 3, 9, 5, 3, 4, 4]
    assert days[2]["counts"]["negative"] == 8
    assert data["trend"]["png"].startswith(PNG)

    issue = data["emerging"][0]
    assert (issue["kind"], issue["key"], issue["page"]) == ("theme", "afval", "https://gemeente.groningen.nl/afval")
    assert issue["posts"] == 6 and issue["first_opened"] == "wo 18 nov, 10:00"
    assert [p["excerpt"][:28] for p in issue["examples"]] == ["Container bij de Vismarkt zi", "Is het alleen mijn straat of"]

    assert [(t["name"], t["posts"], t["previous_posts"]) for t in data["themes"]] == \
        [("afval", 15, 1), ("evenementen", 6, 0), ("parkeren", 3, 0)]
    makers = data["opinion_makers"]
    # ranked by the response to their stories: the municipality's followers alone do not put it on top
    assert [m["impact"] for m in makers] == sorted((m["impact"] for m in makers), reverse=True)
    assert (makers[0]["public"], makers[0]["posts"], makers[0]["engagement"]) == (False, 1, 590)
    assert all(m["name"].startswith("inwoner") for m in makers)

    story = data["stories"][0]
    assert story["title"] == "Gemeente Groningen gaat ondergrondse containers vaker legen"
    assert (story["posts"], story["sources"], story["first_source"]) == (2, 2, "rtvnoord")
    assert story["first_url"].startswith("https://www.rtvnoord.nl/nieuws/1001/")

    # Only news and public-role authors' images (the private Mastodon and Reddit photos of the fixture
    # are left out), most engaging and then newest first.
    assert [i["image_url"] for i in data["images"]] == [
        "https://images.rtvnoord.example/winterwelvaart.jpg",
        "https://images.rtvnoord.example/stalling.jpg",
        "https://images.rtvnoord.example/containers.jpg",
    ]
    assert data["quotes"]["positive"][0]["excerpt"].startswith("Wat een sfeer bij de Winterwelvaart")
    assert data["quotes"]["negative"][0]["excerpt"].startswith("Kijk dan <script>")  # escaped when rendered
    assert all(q["url"].startswith("https://") for q in data["quotes"]["positive"] + data["quotes"]["negative"])

    dumped = json.dumps({k: v for k, v in data.items() if k != "trend"}, ensure_ascii=False)
    for name in PRIVATE_NAMES:
        assert name not in dumped
    assert "javascript:" not in dumped


def test_quiet_week_is_honest(engine, newsroom_config, settings):
    few = [
        {"source": "rtvnoord", "at": "2026-12-01 09:00", "label": "neutral", "p": 0.7,
         "title": "Sinterklaas bezoekt de Grote Markt", "text": "Sinterklaas komt zaterdag naar de Grote Markt in Groningen."},
        {"source": "mastodon", "at": "2026-12-02 18:00", "label": "negative", "p": 0.8,
         "text": "Weer <b>gladheid</b> op het fietspad langs het Noorderdiep in Groningen, er is niet gestrooid.",
         "author": "Iemand", "author_id": "@iemand@mastodon.nl"},
        {"source": "reddit", "at": "2026-12-03 20:00",
         "title": "Oliebollen", "text": "Waar haal je de beste oliebollen in Groningen?", "author": "snoeper",
         "author_id": "u/snoeper"},
    ]
    with engine.begin() as conn:
        sync_sources(conn, newsroom_config)
        add_posts(conn, newsroom_config, settings, few, "w49")
    with engine.connect() as conn:
        quiet = build_week(conn, newsroom_config, "2026-W49", "Europe/Amsterdam")
        empty = build_week(conn, newsroom_config, "2026-W50", "Europe/Amsterdam")

    assert quiet["quiet"] and quiet["figures"]["posts"] == 3 and quiet["trend"]["png"] is None
    assert [p["title"] or p["excerpt"][:5] for p in quiet["posts"]] == ["Oliebollen", "Weer ", "Sinterklaas bezoekt de Grote Markt"]
    rendered = render(quiet)
    page = Page(rendered.html)
    assert "Weinig berichten deze week." in rendered.html
    assert not any(src.startswith("data:") for src in page.images), "a quiet week has no chart"
    assert "De berichten van deze week" in page.headings
    assert "&lt;b&gt;gladheid&lt;/b&gt;" in rendered.html
    assert "WEINIG BERICHTEN DEZE WEEK: we vonden 3 berichten" in rendered.text

    assert empty["quiet"] and empty["figures"]["posts"] == 0 and empty["figures"]["net_sentiment"] is None
    rendered = render(empty)
    assert "Geen berichten gevonden in deze week." in rendered.html
    assert "we vonden 0 berichten" in rendered.text


def test_images_only_from_news_and_public_roles(filled, newsroom_config):
    """A private person's photo (their street, their children) never goes out in the newsletter."""
    with filled.connect() as conn:
        data = build_week(conn, newsroom_config, WEEK, AMSTERDAM)
    assert data["images"] and all(i["channel"] == "news" or not i["author"].startswith("inwoner-")
                                  for i in data["images"])
    assert not [i for i in data["images"] if "mastodon" in i["image_url"] or "redd" in i["image_url"]]

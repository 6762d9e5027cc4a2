"""The analytics endpoints on a real store: shapes, filters, and bad parameters as clear 422s."""
from datetime import timedelta

import pytest
from sqlalchemy import insert

from core.ingest.policy import ingest_post
from core.store.schema import alerts, scores, utcnow
from core.store.sources import get_source, sync_sources

H = timedelta(hours=1)


@pytest.fixture
def filled(engine, config, client):
    """Posts of the last hours (themes from the test config: afval, parkeren) and one open alert."""
    from core.config.watch import parse_config

    cfg = parse_config({**config.model_dump(), "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://www.oogtv.nl/feed"},
        {"name": "mastodon", "kind": "mastodon", "url": "https://mastodon.nl"},
    ]})
    now = utcnow()
    posts = [
        ("oogtv", "Container in brand in Paddepoel", "negative", None),
        ("oogtv", "Nieuwe parkeerplaats bij het Forum", "positive", None),
        ("mastodon", "Kliko's weer niet geleegd in Beijum", "negative", ("Gemeente Groningen", True, 5000)),
        ("mastodon", "Mooie dag in de Stad", "positive", ("Piet Pietersen", False, 40)),
        ("mastodon", "Wanneer is het grofvuil?", None, ("Piet Pietersen", False, 40)),
    ]
    with engine.begin() as conn:
        sync_sources(conn, cfg)
        for i, (source, text, label, author) in enumerate(posts):
            item = {"external_id": f"p{i}", "text": text, "published_at": now - (i + 1) * H}
            if author:
                name, public, reach = author
                item.update(author=name, author_id=name.lower().replace(" ", "") if public else "p-9c1e",
                            author_public=public, author_reach=reach, likes=i)
            _, post_id = ingest_post(conn, get_source(conn, source), item, themes=config.themes)
            if label:
                conn.execute(insert(scores).values(post_id=post_id, label=label, negative=0.1, neutral=0.1,
                                                   positive=0.8, model="m", model_version="1", flags=[]))
        conn.execute(insert(alerts).values(kind="theme", key="afval", status="open", severity="warning",
                                           title="Afval: 8 berichten", page="https://gemeente.groningen.nl/afval",
                                           details={}, post_ids=[1], opened_at=now, updated_at=now))
    return client


def test_summary_and_filters(filled):
    body = filled.get("/api/summary", params={"window": "24h"}).json()
    assert {k: body[k] for k in ("posts", "negative", "neutral", "positive", "unscored")} == \
        {"posts": 5, "negative": 2, "neutral": 0, "positive": 2, "unscored": 1}
    assert body["net_sentiment"] == 0.0 and body["low_sample"] is True
    assert body["previous"]["posts"] == 0
    social = filled.get("/api/summary", params={"channel": "social", "min_sample": 2}).json()
    assert social["posts"] == 3 and social["low_sample"] is False
    assert filled.get("/api/summary", params={"theme": "afval"}).json()["posts"] == 3
    assert filled.get("/api/summary", params={"window": "2h"}).json()["posts"] == 1


def test_timeline_shapes(filled):
    body = filled.get("/api/timeline", params={"window": "6h", "bucket": "hour", "by": "label"}).json()
    assert len(body["buckets"]) in (6, 7)
    assert sum(sum(b["counts"].values()) for b in body["buckets"]) == 5
    assert set(body["buckets"][0]["counts"]) == {"negative", "neutral", "positive", "unscored", "other_language"}
    days = filled.get("/api/timeline", params={"window": "7d", "bucket": "day", "by": "channel"}).json()
    assert set(days["buckets"][0]["counts"]) == {"news", "forum", "social"}
    assert sum(b["counts"]["social"] for b in days["buckets"]) == 3


def test_themes_authors_stories_issues_alerts(filled):
    answer = filled.get("/api/themes").json()
    themes = answer["items"]
    assert [(t["name"], t["posts"]) for t in themes] == [("afval", 3), ("parkeren", 1)]
    # The old key stays for one release (deprecated), holding the same list.
    assert answer["themes"] == themes
    authors = filled.get("/api/authors", params={"window": "1d"}).json()["items"]
    assert [a["impact"] for a in authors] == sorted((a["impact"] for a in authors), reverse=True)
    assert "Gemeente Groningen" in [a["name"] for a in authors]
    assert any(a["name"].startswith("inwoner #") and a["posts"] == 2 for a in authors)
    assert "Piet" not in filled.get("/api/authors").text
    stories = filled.get("/api/stories").json()
    assert stories["stories"] == 5 and stories["items"][0]["posts"] == 1
    assert filled.get("/api/issues").json() == {"items": []}
    open_alerts = filled.get("/api/alerts", params={"status": "open"}).json()["items"]
    assert [(a["key"], a["page"]) for a in open_alerts] == [("afval", "https://gemeente.groningen.nl/afval")]
    assert filled.get("/api/alerts", params={"status": "resolved"}).json() == {"items": []}


@pytest.mark.parametrize("path, params", [
    ("/api/summary", {"window": "soms"}),
    ("/api/summary", {"window": "0h"}),
    ("/api/summary", {"window": "999d"}),
    ("/api/timeline", {"bucket": "week"}),
    ("/api/timeline", {"window": "400d", "bucket": "hour"}),
    ("/api/authors", {"sort": "likes"}),
    ("/api/alerts", {"status": "kapot"}),
    ("/api/summary", {"since": "2026-11-20T10:00:00", "until": "2026-11-20T09:00:00"}),
])
def test_bad_parameters_are_422(filled, path, params):
    response = filled.get(path, params=params)
    assert response.status_code == 422, response.text


def test_reads_can_require_a_token(make_client, engine):
    client = make_client(reads_need_token=True, api_token="geheim", read_token="kijk")
    assert client.get("/api/summary").status_code == 401
    assert client.get("/api/summary", headers={"Authorization": "Bearer kijk"}).status_code == 200

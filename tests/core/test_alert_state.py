from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, update

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.alerts import (
    BadTransition,
    check_sources,
    get_alert,
    set_status,
    silent_sources,
)
from core.store.schema import alerts, crawl_runs, posts, sources
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "every": "10m", "local": True},
        {"name": "dvhn", "kind": "feed", "url": "https://dvhn.nl/rss", "every": "15m", "local": True},
        {"name": "forum", "kind": "discourse", "url": "https://forum.example.nl", "every": "30m", "local": True},
        {"name": "stil", "kind": "feed", "url": "https://stil.example.nl/rss", "every": "1h", "local": True},
        {"name": "nieuw", "kind": "feed", "url": "https://nieuw.example.nl/rss", "every": "10m", "local": True},
        {"name": "uit", "kind": "feed", "url": "https://uit.example.nl/rss", "enabled": False},
    ],
    "alerts": {"cooldown": "6h"},
})


def run(conn, name, at, status="ok", error=None):
    conn.execute(insert(crawl_runs).values(source_id=get_source(conn, name).id, started_at=at - timedelta(seconds=20),
                                           finished_at=at, status=status, error=error))


def post(conn, name, n, fetched):
    _, post_id = ingest_post(conn, get_source(conn, name), {
        "external_id": f"{name}{n}", "text": f"{name} bericht {n} uit Groningen", "published_at": fetched})
    conn.execute(update(posts).where(posts.c.id == post_id).values(fetched_at=fetched))


@pytest.fixture
def store(engine):
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        conn.execute(update(sources).values(created_at=NOW - 30 * 24 * H))
        conn.execute(update(sources).where(sources.c.name == "nieuw").values(created_at=NOW - 20 * timedelta(minutes=1)))
        # oogtv: healthy; dvhn: crawls fine but nothing new for a day, where ~12 a day is normal;
        # forum: crawls fail for 4 hours; stil: one post a day, nothing for 10 hours: not missed
        for i in range(6):
            post(conn, "oogtv", i, NOW - i * H - 5 * timedelta(minutes=1))
            post(conn, "forum", i, NOW - 4 * H - i * H * 3)
        for i in range(84):
            post(conn, "dvhn", i, NOW - 24 * H - i * 2 * H)
        for i in range(7):
            post(conn, "stil", i, NOW - 10 * H - i * 24 * H)
        for name in ("oogtv", "dvhn", "stil"):
            run(conn, name, NOW - 5 * timedelta(minutes=1))
        run(conn, "forum", NOW - 4 * H - timedelta(minutes=1))
        for i in range(8):
            run(conn, "forum", NOW - i * H / 2, status="failed", error="HTTP 503 van forum.example.nl")
    return engine


def test_silent_sources(store):
    with store.connect() as conn:
        silent = silent_sources(conn, CONFIG, NOW)
    assert set(silent) == {"dvhn", "forum"}
    assert silent["dvhn"]["reason"] == "posts" and silent["dvhn"]["expected"] >= 10
    assert silent["forum"]["reason"] == "crawl" and silent["forum"]["last_error"] == "HTTP 503 van forum.example.nl"
    with store.connect() as conn:  # the server was down: started two hours ago, forum (every 30m) had 4 chances
        assert set(silent_sources(conn, CONFIG, NOW, awake_since=NOW - 2 * H)) == {"dvhn"}


def test_source_alerts_open_once_and_resolve_when_heard_again(store):
    with store.begin() as conn:
        opened = check_sources(conn, CONFIG, NOW)["opened"]
        rows = {r.key: r for r in conn.execute(select(alerts).where(alerts.c.id.in_(opened)))}
    assert set(rows) == {"dvhn", "forum"}
    assert rows["forum"].kind == "source" and rows["forum"].severity == "critical"
    assert rows["forum"].title == "Bron forum stil: geen geslaagde crawl sinds 20-11 08:59 (elke 30 min)"
    assert rows["dvhn"].title == "Bron dvhn stil: geen nieuwe berichten sinds 19-11 13:00 (normaal ongeveer 12 in die tijd)"

    minutes = timedelta(minutes=1)
    with store.begin() as conn:  # still silent ten minutes later: no second alert
        assert check_sources(conn, CONFIG, NOW + 10 * minutes) == {"opened": [], "resolved": []}
        run(conn, "forum", NOW + 15 * minutes)  # forum is back
        changes = check_sources(conn, CONFIG, NOW + 20 * minutes)
    assert changes == {"opened": [], "resolved": [rows["forum"].id]}
    with store.connect() as conn:
        forum = get_alert(conn, rows["forum"].id)
    assert forum["status"] == "resolved" and forum["details"]["history"][-1]["by"] == "system"


def test_acknowledge_then_resolve(engine):
    with engine.begin() as conn:
        alert_id = conn.execute(insert(alerts).values(
            kind="theme", key="afval", title="Afval", details={}, post_ids=[], status="open", severity="warning",
            opened_at=NOW, updated_at=NOW)).inserted_primary_key[0]
        acknowledged, changed = set_status(conn, alert_id, "acknowledged", actor="kcc", note="wij kijken", now=NOW + H)
        assert changed
        assert acknowledged["status"] == "acknowledged" and acknowledged["resolved_at"] is None
        assert set_status(conn, alert_id, "acknowledged", actor="kcc") == (acknowledged, False)
        resolved, _ = set_status(conn, alert_id, "resolved", actor="webredactie", note="pagina aangepast", now=NOW + 2 * H)
        assert resolved["resolved_at"] == (NOW + 2 * H).isoformat()
        assert [(h["status"], h["by"], h.get("note")) for h in resolved["details"]["history"]] == [
            ("acknowledged", "kcc", "wij kijken"), ("resolved", "webredactie", "pagina aangepast")]
        with pytest.raises(BadTransition):
            set_status(conn, alert_id, "acknowledged", actor="kcc")

"""Helpers of the wall tests: the store filled with Dutch posts about Groningen (fixtures/), a live
server, and where Chromium is.

Posts go in through core.store.save_post and scores into the scores table, the way the crawlers and
the scorer store them; the alert comes from core.emerging.run_alerts over those posts.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import insert

from core.analytics.emerging import run_alerts
from core.ingest.policy import ingest_post
from core.store.schema import scores, utcnow
from core.store.sources import get_source, sync_sources

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PROBABILITIES = {"negative": (0.82, 0.13, 0.05), "neutral": (0.1, 0.8, 0.1), "positive": (0.04, 0.14, 0.82)}
API_TOKEN = "schrijf-token"
READ_TOKEN = "kiosk-leestoken"

_ids = count(1)


def add_post(engine, config, source: str, text: str, *, title: str | None = None, label: str | None = "neutral",
             at: datetime | None = None, author: str | None = None, author_public: bool = False) -> int:
    """Store one post (tagged with the config's themes) and its score; returns the post id."""
    n = next(_ids)
    item = {"external_id": f"wall-{n}", "url": f"https://example.nl/{source}/{n}", "title": title, "text": text,
            "author": author, "author_id": author, "author_public": author_public, "published_at": at or utcnow()}
    with engine.begin() as conn:
        status, post_id = ingest_post(conn, get_source(conn, source), item, themes=config.themes)
        assert status == "new", f"test post {text[:40]!r} was a duplicate"
        if label:
            negative, neutral, positive = PROBABILITIES[label]
            conn.execute(insert(scores).values(
                post_id=post_id, label=label, negative=negative, neutral=neutral, positive=positive,
                model="test-model", model_version="1", lang="nl", flags=[], scored_at=utcnow()))
    return post_id


def fill(engine, config, now: datetime | None = None) -> None:
    """The fixture posts, published relative to `now`, and the alerts they raise."""
    now = now or utcnow()
    with engine.begin() as conn:
        sync_sources(conn, config)
    for post in json.loads((FIXTURES / "wall_posts.json").read_text(encoding="utf-8")):
        add_post(engine, config, post["source"], post["text"], title=post.get("title"), label=post.get("label"),
                 at=now - timedelta(minutes=post["minutes_ago"]), author=post.get("author"),
                 author_public=post.get("author_public", False))
    with engine.begin() as conn:
        run_alerts(conn, config, now)



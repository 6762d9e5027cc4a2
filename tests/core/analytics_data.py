"""A small hand-made store for the analytics tests: known posts, known scores, known answers.

Posts go in through core.store.save_post and scores into core.schema.scores, the paths the crawlers
and the scorer use.
"""
from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

from sqlalchemy import insert

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import scores
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen", "Stad"]},
    "themes": [
        {"name": "afval", "label": "Afval", "terms": ["afval", "container", "kliko", "grofvuil"],
         "page": "https://gemeente.groningen.nl/afval"},
        {"name": "parkeren", "terms": ["parkeren", "parkeervergunning", "parkeerplaats"],
         "page": "https://gemeente.groningen.nl/parkeren"},
    ],
    "sources": [
        {"name": "rtvnoord", "kind": "feed", "url": "https://www.rtvnoord.nl/rss", "local": True},
        {"name": "dvhn", "kind": "feed", "url": "https://www.dvhn.nl/rss", "local": True},
        {"name": "mastodon", "kind": "mastodon", "url": "https://mastodon.nl", "local": True},
        {"name": "reddit", "kind": "reddit", "url": "https://www.reddit.com/r/groningen", "local": True},
    ],
    "alerts": {"sensitivity": 3.0, "min_posts": 5, "cooldown": "6h"},
})

_ids = count(1)
PROBABILITIES = {
    "negative": (0.8, 0.15, 0.05),
    "neutral": (0.1, 0.8, 0.1),
    "positive": (0.05, 0.15, 0.8),
}


def prepare(conn, config=CONFIG) -> None:
    sync_sources(conn, config)


def add_post(conn, source: str, *, at: datetime, text: str, title: str | None = None, label: str | None = None,
             config=CONFIG, **fields) -> int:
    """Save one post (tagged with the config's themes) and, when `label` is given, its score."""
    n = next(_ids)
    item = {"external_id": f"post-{n}", "url": fields.pop("url", f"https://example.nl/{source}/{n}"),
            "title": title, "text": text, "published_at": at, **fields}
    status, post_id = ingest_post(conn, get_source(conn, source), item, themes=config.themes)
    assert status == "new", f"test post {n} was a duplicate"
    if label:
        negative, neutral, positive = PROBABILITIES[label]
        conn.execute(insert(scores).values(
            post_id=post_id, label=label, negative=negative, neutral=neutral, positive=positive,
            model="test-model", model_version="1", lang="nl", flags=[], scored_at=at,
        ))
    return post_id

"""Two workers storing look-alike posts at the same moment: both are stored, neither is lost to a
collision on the story fingerprints they share."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.db import make_engine
from core.store.schema import posts, story_keys, utcnow
from core.store.sources import get_source, sync_sources

CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "sources": [{"name": n, "kind": "feed", "url": f"http://127.0.0.1:9/{n}.xml", "local": True} for n in ("a", "b")],
})
TEXT = "Kliko al drie weken niet geleegd in Selwerd, de container puilt uit en het stinkt in de hele straat."


def test_look_alike_posts_stored_at_once_by_two_workers_are_both_kept(db_url):
    first, second = make_engine(db_url), make_engine(db_url)
    with first.begin() as conn:
        sync_sources(conn, CONFIG)
    now = utcnow()
    stored_first, errors = threading.Event(), []

    def store(engine, name, hold: threading.Event | None):
        try:
            with engine.begin() as conn:
                ingest_post(conn, get_source(conn, name), {"external_id": f"{name}1", "url": f"http://127.0.0.1/{name}",
                                                           "text": TEXT, "published_at": now - timedelta(minutes=5)})
                if hold is not None:
                    stored_first.set()
                    hold.wait(5)  # keep the transaction open while the other worker stores its copy
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    release = threading.Event()
    one = threading.Thread(target=store, args=(first, "a", release))
    one.start()
    assert stored_first.wait(10)
    two = threading.Thread(target=store, args=(second, "b", None))
    two.start()
    two.join(1.0)  # on PostgreSQL it now waits for the first transaction's fingerprints
    release.set()
    one.join()
    two.join()
    assert errors == []
    with first.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(story_keys)).scalar() > 0
    first.dispose()
    second.dispose()

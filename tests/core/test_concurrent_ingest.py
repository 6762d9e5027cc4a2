"""Two workers storing look-alike posts at the same moment: both are stored, neither is lost to a
collision on the story fingerprints they share."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.db import make_engine
from core.store.schema import posts, stories, story_keys, utcnow
from core.store.sources import get_source, sync_sources
from core.store.stories import grow_stories

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


@pytest.mark.postgres
def test_two_workers_growing_the_same_stories_in_crossed_order_do_not_deadlock(db_url):
    """Worker one grows story A and moves story B's first post; worker two the other way round. Each
    grows its stories in two UPDATEs: without the lock taken first in id order, each would hold a
    story the other's second UPDATE waits for."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite writers take the whole database: no row locks to cross")
    engines = [make_engine(db_url), make_engine(db_url)]
    with engines[0].begin() as conn:
        sync_sources(conn, CONFIG)
        source = get_source(conn, "a")
        now = utcnow()
        ids = [ingest_post(conn, source, {"external_id": f"s{n}", "url": f"http://127.0.0.1/s{n}", "text": text,
                                          "published_at": now - timedelta(hours=1)})[1]
               for n, text in enumerate((TEXT, "Nieuwe fietsbrug over het Van Starkenborghkanaal gaat in mei open."))]
        story_ids = [conn.execute(select(posts.c.story_id).where(posts.c.id == i)).scalar_one() for i in ids]
    # Each worker waits, before its second UPDATE, until the other has run its first (or 2 s).
    barrier, errors = threading.Barrier(2, timeout=2), []

    def pause_before_second_update(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE stories") and "first_post_id" in statement:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:  # the other worker waits on a lock: as it should
                pass

    def grow(engine, plain: int, moved: int):
        event.listen(engine, "before_cursor_execute", pause_before_second_update)
        try:
            with engine.begin() as conn:
                grow_stories(conn, [
                    {"id": plain, "added": 1, "first_post_id": None, "first_seen": None, "last_seen": now},
                    {"id": moved, "added": 1, "first_post_id": ids[0], "first_seen": now - timedelta(hours=2),
                     "last_seen": now},
                ])
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=grow, args=(engines[0], story_ids[0], story_ids[1])),
               threading.Thread(target=grow, args=(engines[1], story_ids[1], story_ids[0]))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    with engines[0].connect() as conn:
        assert conn.execute(select(func.sum(stories.c.posts))).scalar() == 2 + 4
    for engine in engines:
        engine.dispose()

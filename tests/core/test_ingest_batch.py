"""ingest_posts: a batch is stored exactly as its posts one after the other would be (duplicates within
the batch, amplification, stories, themes), on SQLite and PostgreSQL; and two workers storing the same
batch at once store each post once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post, ingest_posts
from core.store.schema import post_themes, posts, sources, stories, story_keys
from core.store.sources import get_source, sync_sources

CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "themes": [{"name": "afval", "terms": ["kliko", "container"]}, {"name": "verkeer", "terms": ["bus", "fiets"]}],
    "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.example.nl/rss", "local": True},
        {"name": "dvhn", "kind": "feed", "url": "https://dvhn.example.nl/rss", "local": True},
        {"name": "forum", "kind": "discourse", "url": "https://forum.example.nl", "local": True},
    ],
})
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
KLIKO = ("De kliko's in Selwerd zijn al drie weken niet geleegd, bewoners klagen bij de gemeente over de stank "
         "en de ratten die op het afval afkomen.")
BUS = "Lijn 15 naar Zernike rijdt vanaf maandag elke tien minuten, meldt Qbuzz, omdat de bus vaak te vol zat."


def item(external_id, text, *, hours=0, url=None, title=None, author=None, **extra):
    return {"external_id": external_id, "url": url, "title": title, "text": text, "author": author,
            "author_id": author, "published_at": NOW - timedelta(hours=hours), **extra}


# Stored before the batch, one by one, in both runs: the batch de-duplicates against them and joins their stories.
BEFORE = [
    ("oogtv", item("o-1", KLIKO, hours=5, url="https://www.oogtv.nl/kliko?utm_source=rss", title="Kliko's niet geleegd")),
    ("forum", item("f-1", "Dank je!", hours=4, author="piet")),
]
BATCH = [
    ("oogtv", item("o-1", KLIKO, hours=5, url="https://oogtv.nl/kliko", likes=4)),  # stored: same id, counts grow
    ("oogtv", item("o-2", KLIKO.upper(), hours=3, title="KLIKO'S NIET GELEEGD")),  # same content as a stored post: duplicate
    ("dvhn", item("d-1", "Anders geschreven, zelfde artikel.", hours=2, url="http://oogtv.nl/kliko/")),  # amplification
    ("dvhn", item("d-2", "RT " + KLIKO + " Schandalig!", hours=1)),  # near-duplicate: joins the kliko story
    ("forum", item("f-2", "Dank je!", hours=1, author="klaas")),  # same short reply, another author: new
    ("forum", item("f-3", "Dank je!", hours=1, author="piet")),  # the same author again: duplicate
    ("oogtv", item("o-3", BUS, hours=2, url="https://oogtv.nl/bus", title="Vaker de bus naar Zernike")),
    ("oogtv", item("o-3", BUS, hours=2, likes=9)),  # the batch's own post again: duplicate, counts taken
    ("oogtv", item("o-4", "Iets anders", hours=1, url="https://oogtv.nl/bus#reacties")),  # its URL: duplicate
    ("dvhn", item("d-3", BUS + " Reizigers zijn blij.", hours=30)),  # older than the bus story's first post
    ("forum", item("f-4", "Een fiets in de gracht bij de Vismarkt, alweer.", hours=200)),  # a story of its own
]


def _store(conn, pairs, batched):
    rows = {name: get_source(conn, name) for name in ("oogtv", "dvhn", "forum")}
    pairs = [(rows[name], dict(it)) for name, it in pairs]
    if batched:
        return ingest_posts(conn, pairs, themes=CONFIG.themes)
    return [ingest_post(conn, source, it, themes=CONFIG.themes) for source, it in pairs]


def _snapshot(conn) -> dict:
    """The store's content by external ids (ids differ between runs)."""
    ext = {row.id: f"{row.name}/{row.external_id}" for row in conn.execute(
        select(posts.c.id, posts.c.external_id, sources.c.name).join(sources))}
    members: dict[int, list[str]] = {}
    for row in conn.execute(select(posts.c.id, posts.c.story_id)):
        members.setdefault(row.story_id, []).append(ext[row.id])
    story = {sid: tuple(sorted(names)) for sid, names in members.items()}
    return {
        "posts": sorted((ext[r.id], r.likes, r.canonical_url) for r in conn.execute(select(posts))),
        "stories": sorted((story[r.id], ext[r.first_post_id], r.title, r.posts, r.first_seen, r.last_seen)
                          for r in conn.execute(select(stories))),
        "keys": sorted((r.key, story[r.story_id]) for r in conn.execute(select(story_keys))),
        "themes": sorted((ext[r.post_id], r.theme) for r in conn.execute(select(post_themes))),
    }


def test_a_batch_is_stored_as_its_posts_one_after_the_other(engine):
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
    runs = {}
    for batched in (False, True):
        with engine.begin() as conn:
            for table in (post_themes, story_keys):
                conn.execute(delete(table))
            conn.execute(delete(posts))
            conn.execute(delete(stories))
        with engine.begin() as conn:
            _store(conn, BEFORE, batched=False)
            outcomes = [status for status, _ in _store(conn, BATCH, batched)]
        with engine.connect() as conn:
            runs[batched] = (outcomes, _snapshot(conn))
    assert runs[False] == runs[True]
    outcomes, snapshot = runs[True]
    assert outcomes == ["duplicate", "duplicate", "new", "new", "new", "duplicate", "new", "duplicate", "duplicate",
                        "new", "new"]
    # What the rules say, beyond "the same as one by one":
    likes = {name: n for name, n, _ in snapshot["posts"]}
    assert likes["oogtv/o-1"] == 4 and likes["oogtv/o-3"] == 9
    grouped = {frozenset(members) for members, *_ in snapshot["stories"]}
    assert frozenset({"oogtv/o-1", "dvhn/d-1", "dvhn/d-2"}) in grouped
    assert frozenset({"oogtv/o-3", "dvhn/d-3"}) in grouped
    first = {frozenset(members): first for members, first, *_ in snapshot["stories"]}
    assert first[frozenset({"oogtv/o-3", "dvhn/d-3"})] == "dvhn/d-3"
    assert ("oogtv/o-1", "afval") in snapshot["themes"] and ("oogtv/o-3", "verkeer") in snapshot["themes"]


def test_ingest_post_is_a_batch_of_one(engine):
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        source = get_source(conn, "oogtv")
        status, post_id = ingest_post(conn, source, item("o-9", KLIKO), themes=CONFIG.themes)
        assert ingest_posts(conn, [(source, item("o-9", KLIKO)), (source, item("o-10", BUS))]) == [
            ("duplicate", post_id), ("new", post_id + 1)]
        assert status == "new"
        with pytest.raises(ValueError):
            ingest_posts(conn, [(source, item("o-11", BUS)), (source, item("", BUS))])


@pytest.mark.postgres
def test_two_workers_storing_the_same_batch_at_once_store_each_post_once(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    from core.store.db import make_engine

    first, second = make_engine(db_url), make_engine(db_url)
    with first.begin() as conn:
        sync_sources(conn, CONFIG)
    batch = [("forum", item(f"f-{n}", f"Bericht {n}: de bus naar Zernike was weer te laat vanochtend, "
                            f"ik stond {n} minuten te wachten bij het station.", author=f"inwoner{n}"))
             for n in range(40)]
    stored, release, results, errors = threading.Event(), threading.Event(), {}, []

    def store(engine, name, hold):
        try:
            with engine.begin() as conn:
                results[name] = _store(conn, batch, batched=True)
                if hold:
                    stored.set()
                    release.wait(10)  # the transaction stays open while the other worker stores the batch
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    one = threading.Thread(target=store, args=(first, "one", True))
    one.start()
    assert stored.wait(20)
    two = threading.Thread(target=store, args=(second, "two", False))
    two.start()
    two.join(1.0)  # waits on the first worker's uncommitted rows
    release.set()
    one.join()
    two.join()
    assert errors == []
    assert [s for s, _ in results["one"]] == ["new"] * 40
    assert results["two"] == [("duplicate", post_id) for _, post_id in results["one"]]
    with first.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 40
        assert conn.execute(select(func.sum(stories.c.posts))).scalar() == 40
    first.dispose()
    second.dispose()

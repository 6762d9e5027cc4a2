from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.db import current_revision, migrate
from core.store.posts import canonical_url, content_hash
from core.store.schema import crawl_runs, posts, sources
from core.store.sources import (
    RunCounts,
    abandon_stale_runs,
    finish_run,
    get_source,
    save_source_budget,
    save_source_state,
    source_health,
    start_run,
    sync_sources,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def _config(*names, local=True):
    return parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "sources": [{"name": n, "kind": "feed", "url": f"https://{n}.example.nl/rss", "local": local} for n in names],
    })


def _item(n, **extra):
    return {"external_id": f"guid-{n}", "url": f"https://www.oogtv.nl/artikel-{n}/?utm_source=rss",
            "title": f"Bericht {n}", "text": f"Tekst van bericht {n} over Groningen.", "published_at": NOW, **extra}


def test_migrate_is_idempotent(engine):
    migrate(engine)
    assert current_revision(engine) is not None


def test_sqlite_uses_wal_and_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sync_sources_adds_updates_and_disables(engine):
    with engine.begin() as conn:
        ids = sync_sources(conn, _config("oogtv", "sikkom"))
    with engine.begin() as conn:
        again = sync_sources(conn, _config("oogtv"))
        assert again["oogtv"] == ids["oogtv"]
        assert get_source(conn, "sikkom").enabled is False
        assert get_source(conn, "oogtv").channel == "news"
        assert conn.execute(select(func.count()).select_from(sources)).scalar() == 2


def test_save_post_deduplicates_by_id_url_and_content(engine):
    with engine.begin() as conn:
        sync_sources(conn, _config("oogtv", "rtvnoord"))
        oog, noord = get_source(conn, "oogtv"), get_source(conn, "rtvnoord")
        status, first = ingest_post(conn, oog, _item(1))
        assert status == "new"
        # same guid again, with more likes: duplicate, engagement refreshed
        assert ingest_post(conn, oog, _item(1, likes=7)) == ("duplicate", first)
        # other guid, same canonical URL (tracking params, http, www, trailing slash differ)
        assert ingest_post(conn, oog, _item(2, url="http://oogtv.nl/artikel-1"))[0] == "duplicate"
        # other guid and URL, same content after folding whitespace and case
        assert ingest_post(conn, oog, _item(3, url=None, title="BERICHT 1", text="Tekst van  bericht 1 over Groningen."))[0] == "duplicate"
        # the same text from another source is syndication: a new post (stories group them)
        assert ingest_post(conn, noord, _item(4, url=None, title="Bericht 1", text=_item(1)["text"]))[0] == "new"
        # the same canonical URL from another source is amplification: a new post in the first one's story
        status, shared = ingest_post(conn, noord, _item(5, url="https://www.oogtv.nl/artikel-1/?utm_source=x",
                                                        title="Gedeeld", text="Lees dit artikel van OOG over de Stad"))
        assert status == "new"
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 3
        first_story, shared_story = (conn.execute(select(posts.c.story_id).where(posts.c.id == i)).scalar() for i in (first, shared))
        assert first_story == shared_story
        assert conn.execute(select(posts.c.likes).where(posts.c.id == first)).scalar() == 7
        row = conn.execute(select(posts).where(posts.c.id == first)).one()
        assert row.published_at == NOW
        assert row.canonical_url == "https://oogtv.nl/artikel-1"


def test_save_post_refuses_incomplete_items(engine):
    with engine.begin() as conn:
        sync_sources(conn, _config("oogtv"))
        oog = get_source(conn, "oogtv")
        with pytest.raises(ValueError, match="external_id"):
            ingest_post(conn, oog, _item(1, external_id=""))
        with pytest.raises(ValueError, match="published_at"):
            ingest_post(conn, oog, _item(1, published_at=datetime(2026, 1, 1)))


def test_canonical_url_and_content_hash():
    assert canonical_url("HTTP://WWW.Example.nl:80/a/b/?b=2&utm_medium=x&a=1#top") == "https://example.nl/a/b?a=1&b=2"
    assert canonical_url("mailto:x@y.nl") is None
    assert content_hash("Één", "tekst") == content_hash("een", "  TEKST ")


def test_runs_and_health(engine):
    with engine.begin() as conn:
        sync_sources(conn, _config("oogtv", "sikkom"))
        oog = get_source(conn, "oogtv")
        run = start_run(conn, oog.id)
        ingest_post(conn, oog, _item(1))
        finish_run(conn, run, RunCounts(fetched=3, new=1, duplicates=2), failed=False)
        failed = start_run(conn, oog.id)
        finish_run(conn, failed, RunCounts(errors=1), failed=True, error="HTTP 500")
    with engine.connect() as conn:
        health = {h["name"]: h for h in source_health(conn)}
    assert health["oogtv"]["status"] == "fout"
    assert health["oogtv"]["last_run"]["error"] == "HTTP 500"
    assert health["oogtv"]["last_success"] is not None
    assert health["oogtv"]["posts"] == 1 and health["oogtv"]["failed_runs"] == 1
    assert health["sikkom"]["status"] == "nog niet gedraaid"


def test_a_metered_sources_budget_is_kept_after_a_failed_run_and_shown_in_health(engine):
    budget = {"unit": "posts", "period": "month", "limit": 10000, "used": 420, "remaining": 9580}
    with engine.begin() as conn:
        sync_sources(conn, _config("x-stad"))
        source = get_source(conn, "x-stad")
        save_source_state(conn, source.id, {"newest": {"search:Groningen": "186"}})
        save_source_budget(conn, source.id, budget)
    with engine.connect() as conn:
        assert get_source(conn, "x-stad").state == {"newest": {"search:Groningen": "186"}, "budget": budget}
        health = {h["name"]: h for h in source_health(conn)}
    assert health["x-stad"]["budget"] == budget


def test_runs_of_killed_processes_are_marked_failed(engine):
    with engine.begin() as conn:
        sync_sources(conn, _config("oogtv"))
        run = start_run(conn, get_source(conn, "oogtv").id)
        conn.execute(crawl_runs.update().where(crawl_runs.c.id == run).values(pid=2**22 + 12345))
        assert abandon_stale_runs(conn) == 1
        row = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run)).one()
    assert row.status == "failed" and "killed" in row.error


def test_same_short_reply_by_two_people_is_kept(engine):
    config = parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "sources": [{"name": "reddit-groningen", "kind": "reddit", "url": "https://reddit.example"}],
    })
    with engine.begin() as conn:
        sync_sources(conn, config)
        reddit = get_source(conn, "reddit-groningen")
        reply = {"text": "Dank je!", "published_at": NOW}
        assert ingest_post(conn, reddit, {**reply, "external_id": "t1_a", "author_id": "inwoner-1"})[0] == "new"
        assert ingest_post(conn, reddit, {**reply, "external_id": "t1_b", "author_id": "inwoner-2"})[0] == "new"
        assert ingest_post(conn, reddit, {**reply, "external_id": "t1_c", "author_id": "inwoner-1"})[0] == "duplicate"

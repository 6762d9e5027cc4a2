"""CrawlJob's store side (what the pipeline and spiders call), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import Ingest
from core.store.sources import get_source, sync_sources
from crawlers.job import FILTERED_MEMORY, CrawlJob

CONFIG = {
    "watch": {"city": "Groningen", "terms": ["Groningen", "Stad"], "exclude": ["FC Groningen"]},
    "sources": [
        {"name": "stadskrant", "kind": "feed", "url": "http://127.0.0.1:9/stad.xml", "local": True},
        {"name": "landelijk", "kind": "feed", "url": "http://127.0.0.1:9/nl.xml"},
    ],
}


def post(external_id: str, url: str | None, title: str, text: str = "") -> dict:
    return {
        "external_id": external_id, "url": url, "title": title, "text": text,
        "published_at": datetime(2025, 11, 17, 9, 0, tzinfo=timezone.utc), "extra": {},
    }


@pytest.fixture
def jobs(engine):
    config = parse_config(CONFIG)
    with engine.begin() as conn:
        sync_sources(conn, config)
        rows = {s.name: get_source(conn, s.name) for s in config.sources}
    ingest = Ingest(config, Settings())
    return {
        name: CrawlJob(source=config.source(name), source_row=row, ingest=ingest, engine=engine)
        for name, row in rows.items()
    }


def test_save_and_is_known(jobs):
    job = jobs["stadskrant"]
    first = post("s-1", "https://www.stadskrant.invalid/a?utm_source=rss", "Nieuwe fietsenstalling")

    assert job.is_known("s-1", first["url"]) is False
    assert job.save(first) == "new"
    assert job.save(first) == "duplicate"
    assert job.is_known("s-1", None)
    assert job.is_known("other-id", "https://stadskrant.invalid/a#reacties")  # same canonical URL
    # another source's copy of the URL is amplification, to be stored (core.store.posts.save_post)
    assert not jobs["landelijk"].is_known("x-9", "http://www.stadskrant.invalid/a")
    assert not jobs["landelijk"].is_known("s-1", None)  # ids are per source


def test_relevance_local_keeps_everything_national_only_the_city(jobs):
    assert jobs["stadskrant"].relevant(post("1", None, "Kermis in Assen"))
    national = jobs["landelijk"]
    assert national.relevant(post("2", None, "Nieuws", "Drukte in de Stad op zaterdag"))
    assert not national.relevant(post("3", None, "Kermis in Assen", "Veel bezoekers"))
    assert not national.relevant(post("4", None, "FC Groningen wint", "Uitslag"))  # excluded term


def test_filtered_ids_are_remembered_in_the_new_state_only(jobs):
    job = jobs["landelijk"]
    for number in range(FILTERED_MEMORY + 5):
        job.remember_filtered(f"nl-{number}")
    job.remember_filtered("nl-2004")

    assert job.state == {}
    remembered = job.new_state["filtered_ids"]
    assert len(remembered) == FILTERED_MEMORY and remembered[0] == "nl-5" and remembered[-1] == "nl-2004"

    later = CrawlJob(
        source=job.source, source_row=job.source_row, ingest=job.ingest, engine=job.engine, state=job.new_state
    )
    assert later.is_known("nl-2004", None) and not later.is_known("nl-0", None)


def test_fail_keeps_the_first_reason_and_errors_add_up(jobs):
    job = jobs["stadskrant"]
    job.error("article http://127.0.0.1:9/a: HTTP 404 Not Found; kept the teaser")
    job.fail("connection refused by 127.0.0.1:9")
    job.fail("a later, less telling reason")

    assert job.failed and job.counts.errors == 2
    assert job.error_text() == (
        "connection refused by 127.0.0.1:9\narticle http://127.0.0.1:9/a: HTTP 404 Not Found; kept the teaser"
    )


def test_state_is_saved_only_after_a_good_crawl(jobs):
    job = jobs["stadskrant"]
    job.state = {"validators": {"u": {"etag": '"old"'}}}
    job.new_state = {"validators": {"u": {"etag": '"new"'}}, "filtered_ids": ["x"]}
    assert job.state_to_save() == job.new_state

    job.store_errors = 1  # a post was lost: fetch the feed in full next time
    assert job.state_to_save() == {"validators": {"u": {"etag": '"old"'}}, "filtered_ids": ["x"]}

    job.fail("connection refused by 127.0.0.1:9")
    assert job.state_to_save() is None


def test_held_posts_are_known_and_stored_in_one_batch(jobs, engine):
    """The pipeline holds posts and stores them a batch at a time: a held post is known already (a
    spider does not fetch its article again, a reply to it is kept), and a batch whose store fails is
    stored post by post, so only the bad post is lost."""
    from sqlalchemy import func, select

    from core.store.schema import posts

    national = jobs["landelijk"]
    topic = post("n-1", "https://nieuws.invalid/stad?utm_source=rss", "Drukte in de Stad")
    reply = {**post("n-2", None, "Re: drukte", "Bij ons ook!"), "parent_external_id": "n-1"}
    assert not national.relevant(reply)  # its conversation is not kept yet
    held = [national.hold(topic)]
    assert national.is_known("n-1", None) and national.is_known("other", "https://nieuws.invalid/stad")
    assert national.relevant(reply)
    held.append(national.hold(reply))
    held.append(national.hold(topic))  # the feed listed it twice
    with pytest.raises(ValueError):
        national.hold(post("", None, "Zonder id in de Stad"))
    assert national.save_many(held) == ["new", "new", "duplicate"]

    broken = [national.hold(post("n-3", None, "Nog meer drukte in de Stad")),
              {**national.hold(post("n-4", None, "Stad")), "published_at": "gisteren"}]  # the store refuses it
    assert national.save_many(broken) == ["new", None]
    assert national.store_errors == 1 and "n-4" in national.error_text()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 3

"""One crawl of a source at a time, across processes (and, on PostgreSQL, hosts); runs with a heartbeat."""
from __future__ import annotations

from test_crawl import RSS, feed_source, fixture

from core.store.db import migrate
from core.store.locks import exclusive
from core.store.sources import HOST, crawl_lock


def test_a_source_being_crawled_elsewhere_is_skipped_not_crawled_twice(server, newsroom_on):
    server.serve("/nieuws.xml", fixture("stadskrant.xml"), content_type=RSS)
    newsroom_on.sources(feed_source("stadskrant", server.url("/nieuws.xml"), follow=False))
    migrate(newsroom_on.engine)
    with exclusive(newsroom_on.engine, crawl_lock("stadskrant")) as held:
        assert held
        busy = newsroom_on.crawl("stadskrant")
    assert busy["status"] == "skipped" and "another process" in busy["error"]
    assert newsroom_on.runs("stadskrant") == [] and newsroom_on.posts() == []

    done = newsroom_on.crawl("stadskrant")
    assert done["status"] == "ok" and done["new"] > 0
    [run] = newsroom_on.runs("stadskrant")
    assert run["host"] == HOST and run["pid"] and run["heartbeat_at"] is not None
    assert run["heartbeat_at"] <= run["finished_at"]

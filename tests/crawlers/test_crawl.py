"""Real crawls (`python -m crawlers.run`, one child process each) against a local HTTP server."""
from __future__ import annotations

import socket
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from localserver import LocalServer, Reply
from sqlalchemy import select

import crawlers.launch
from core.store.db import migrate
from core.store.schema import post_themes

RSS = "application/rss+xml; charset=utf-8"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def serve_stadskrant(server, etag='"stadskrant-v1"'):
    server.serve("/nieuws/stadskrant.xml", fixture("stadskrant.xml"), content_type=RSS, etag=etag)
    server.serve("/nieuws/artikel/minder-klikos.html", fixture("artikel-minder-klikos.html"))
    server.serve("/nieuws/artikel/wateroverlast-paddepoel.html", fixture("artikel-wateroverlast-paddepoel.html"))


def feed_source(name: str, url: str, *, local: bool = True, follow: bool = True, extra: str = "") -> str:
    return f"""
[[sources]]
name = "{name}"
kind = "feed"
url = "{url}"
local = {str(local).lower()}
follow_articles = {str(follow).lower()}
{extra}
"""


def test_first_crawl_stores_posts_and_second_is_answered_304(server, newsroom_on):
    serve_stadskrant(server)
    newsroom_on.sources(feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))

    first = newsroom_on.crawl("stadskrant")

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["duplicates"], first["errors"]) == (4, 4, 0, 0)
    stored = {p["external_id"]: p for p in newsroom_on.posts("stadskrant")}
    assert set(stored) == {"stadskrant-2025-4401", "stadskrant-2025-4398", "stadskrant-2025-4395", "stadskrant-2025-4390"}
    full = stored["stadskrant-2025-4401"]  # full text in CDATA content:encoded, relative links under xml:base
    assert full["url"] == server.url("/nieuws/artikel/nieuwe-fietsenstalling.html")
    assert full["author"] == "Marieke Dijkstra"
    assert full["published_at"] == datetime(2025, 11, 17, 8, 15, tzinfo=timezone.utc)
    assert full["image_url"] == server.url("/beeld/fietsenstalling.jpg")
    assert full["lang"] == "nl"
    assert "trackPageView" not in full["text"] and "“Eindelijk kunnen klanten" in full["text"]
    teaser = stored["stadskrant-2025-4398"]  # teaser completed from its article page
    assert "zestig nieuwe containers" in teaser["text"] and "Reacties" not in teaser["text"]
    assert teaser["author"] == "Sanne Hoekstra"
    assert teaser["image_url"] == server.url("/beeld/ondergrondse-container.jpg")
    assert teaser["extra"]["summary"].startswith("Bewoners van de binnenstad moeten")
    assert teaser["author_public"] is True  # news authors are public by role (core.ingest)
    with newsroom_on.engine.connect() as conn:  # stored through core.ingest: themes tagged
        themes = conn.execute(select(post_themes.c.theme).where(post_themes.c.post_id == teaser["id"])).scalars()
        assert "afval" in set(themes)
    undated = stored["stadskrant-2025-4395"]  # no pubDate in the feed: the article's JSON-LD has it
    assert undated["published_at"] == datetime(2025, 11, 16, 20, 5, tzinfo=timezone.utc)
    assert "published_guessed" not in undated["extra"]
    column = stored["stadskrant-2025-4390"]  # no link, no date: kept, dated by the crawl, flagged
    assert column["extra"]["published_guessed"] is True and column["url"] is None
    assert all(len(p["text"]) > 50 for p in stored.values())
    assert len(server.requests_to("/nieuws/artikel/minder-klikos.html")) == 1

    second = newsroom_on.crawl("stadskrant")

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["not_modified"]) == (0, 0, 1)
    feed_requests = server.requests_to("/nieuws/stadskrant.xml")
    assert feed_requests[-1].headers.get("If-None-Match") == '"stadskrant-v1"'
    assert len(server.requests_to("/nieuws/artikel/minder-klikos.html")) == 1
    assert len(newsroom_on.posts()) == 4
    runs = newsroom_on.runs("stadskrant")
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["new"] == 4 and runs[1]["not_modified"] == 1 and runs[1]["duration_s"] > 0


def test_last_modified_is_sent_back_and_a_changed_feed_costs_only_its_new_items(server, newsroom):
    serve_stadskrant(server, etag=None)
    server.serve(
        "/nieuws/stadskrant.xml", fixture("stadskrant.xml"), content_type=RSS,
        last_modified="Mon, 17 Nov 2025 09:02:00 GMT",
    )
    newsroom.sources(feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))
    assert newsroom.crawl("stadskrant")["new"] == 4

    again = newsroom.crawl("stadskrant")
    assert again["not_modified"] == 1
    assert server.requests_to("/nieuws/stadskrant.xml")[-1].headers.get("If-Modified-Since") == "Mon, 17 Nov 2025 09:02:00 GMT"

    # The feed changes: one new teaser on top. Known items are not followed to their pages again.
    new_item = b"""<item><title>Hondenpoep in het Noorderplantsoen</title><link>artikel/hondenpoep.html</link>
      <guid isPermaLink="false">stadskrant-2025-4405</guid><pubDate>Mon, 17 Nov 2025 11:00:00 +0100</pubDate>
      <description>Bewoners ergeren zich aan hondenpoep.</description></item>"""
    changed = fixture("stadskrant.xml").replace(b"<item>", new_item + b"\n  <item>", 1)
    server.serve("/nieuws/stadskrant.xml", changed, content_type=RSS, last_modified="Mon, 17 Nov 2025 10:05:00 GMT")
    server.serve("/nieuws/artikel/hondenpoep.html", fixture("artikel-minder-klikos.html").replace(
        b"Gemeente wil minder kliko's in de binnenstad", b"Hondenpoep in het Noorderplantsoen"))

    changed_run = newsroom.crawl("stadskrant")

    assert (changed_run["fetched"], changed_run["new"], changed_run["duplicates"]) == (5, 1, 4), changed_run
    assert len(server.requests_to("/nieuws/artikel/minder-klikos.html")) == 1
    assert len(server.requests_to("/nieuws/artikel/hondenpoep.html")) == 1
    assert newsroom.state("stadskrant")["validators"][server.url("/nieuws/stadskrant.xml")] == {
        "last_modified": "Mon, 17 Nov 2025 10:05:00 GMT"
    }


@pytest.mark.parametrize(
    "name, reply, reason",
    [
        ("kapot", Reply(body=fixture("kapot.xml"), content_type=RSS), "malformed feed without usable entries"),
        ("onderhoud", Reply(body=fixture("onderhoud.html")), "not an RSS, Atom or JSON feed (text/html)"),
        ("servererror", Reply(body=b"stuk", status=500, content_type="text/plain"), "HTTP 500 Internal Server Error"),
        ("weg", Reply(body=b"weg", status=404, content_type="text/plain"), "HTTP 404 Not Found"),
    ],
)
def test_a_source_that_cannot_be_read_is_a_failed_run_with_its_reason(server, newsroom, name, reply, reason):
    server.serve(f"/{name}.xml", reply)
    newsroom.sources(feed_source(name, server.url(f"/{name}.xml")))

    code, result, _log = newsroom.run_module(name)

    assert code == 1
    assert result["status"] == "failed" and reason in result["error"], result
    assert result["new"] == 0
    run = newsroom.runs(name)[-1]
    assert run["status"] == "failed" and reason in run["error"]
    assert newsroom.state(name) == {}
    if reply.status == 500:  # retried once (RETRY_TIMES=1 in tests), then given up
        assert len(server.requests_to(f"/{name}.xml")) == 2


def test_unreachable_and_silent_servers_are_failed_runs(server, newsroom):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server.serve("/traag.xml", fixture("leeg.xml"), content_type=RSS, delay=3)
    newsroom.sources(
        feed_source("dicht", f"http://127.0.0.1:{closed_port}/feed.xml")
        + feed_source("traag", server.url("/traag.xml"))
    )

    refused = newsroom.crawl("dicht")
    silent = newsroom.crawl("traag", NEWSROOM_CRAWL_DOWNLOAD_TIMEOUT="1", NEWSROOM_CRAWL_RETRY_TIMES="0")

    assert refused["status"] == "failed" and f"connection refused by 127.0.0.1:{closed_port}" in refused["error"]
    assert silent["status"] == "failed" and "within 1 s (timeout)" in silent["error"], silent
    assert newsroom.runs("dicht")[-1]["status"] == "failed"


def test_429_with_retry_after_is_waited_out_and_retried(server, newsroom):
    server.serve("/ommeland.atom", [
        Reply(status=429, body=b"rustig aan", content_type="text/plain", headers={"Retry-After": "2"}),
        Reply(body=fixture("ommeland.atom"), content_type="application/atom+xml"),
    ])
    newsroom.sources(feed_source("ommeland", server.url("/ommeland.atom"), follow=False))

    result = newsroom.crawl("ommeland")

    assert result["status"] == "ok" and result["new"] == 4, result
    first, retry = server.requests_to("/ommeland.atom")
    assert retry.at - first.at >= 1.9


@pytest.mark.parametrize("status, phrase", [(429, "Too Many Requests"), (503, "Service Unavailable")])
def test_a_retry_after_longer_than_we_wait_fails_the_run(server, newsroom, status, phrase):
    server.serve("/ommeland.atom", Reply(status=status, body=b"morgen weer", headers={"Retry-After": "3600"}))
    newsroom.sources(feed_source("ommeland", server.url("/ommeland.atom")))

    result = newsroom.crawl("ommeland", NEWSROOM_CRAWL_RETRY_AFTER_MAX="30")

    assert result["status"] == "failed"
    assert f"HTTP {status} {phrase} (Retry-After 3600 s is longer than the 30 s we wait)" in result["error"]
    assert len(server.requests_to("/ommeland.atom")) == 1  # not even RetryMiddleware tries again


@pytest.mark.parametrize("local, stored", [(True, 4), (False, 2)])
def test_national_sources_keep_only_posts_about_the_city(server, newsroom, local, stored):
    server.serve("/regio/ommeland.atom", fixture("ommeland.atom"), content_type="application/atom+xml")
    newsroom.sources(feed_source("ommeland", server.url("/regio/ommeland.atom"), local=local, follow=False))

    result = newsroom.crawl("ommeland")

    assert (result["fetched"], result["new"], result["filtered"]) == (4, stored, 4 - stored), result
    titles = {p["title"] for p in newsroom.posts()}
    assert "Stad Groningen krijgt 300 extra parkeerplaatsen voor deelauto's" in titles
    assert ("Kermis in Assen trekt recordaantal bezoekers" in titles) is local


def test_filtered_out_entries_are_not_followed_again(server, newsroom):
    server.serve("/regio/ommeland.atom", fixture("ommeland.atom"), content_type="application/atom+xml")
    pages = ["deelautos-groningen", "brug-kanaal", "kermis-assen", "zwembad-emmen"]
    for page in pages:
        place = "Groningen" if page in pages[:2] else "Drenthe"
        paragraphs = "".join(
            f"<p>Alinea {n} van een lang artikel over {place}, met veel meer tekst dan in de feed stond.</p>"
            for n in range(1, 9)
        )
        server.serve(f"/regio/2025/11/{page}", f"<html><body><article>{paragraphs}</article></body></html>")
    newsroom.sources(feed_source("ommeland", server.url("/regio/ommeland.atom"), local=False))

    first = newsroom.crawl("ommeland")
    second = newsroom.crawl("ommeland")  # no validators: the whole feed again

    assert (first["new"], first["filtered"], first["errors"]) == (2, 2, 0), first
    assert (second["new"], second["duplicates"], second["filtered"]) == (0, 2, 2), second
    assert all(len(server.requests_to(f"/regio/2025/11/{page}")) == 1 for page in pages)
    assert all("Alinea 8 van een lang artikel over Groningen" in p["text"] for p in newsroom.posts())


def test_the_same_article_via_a_tracking_link_from_another_source_is_amplification(server, newsroom):
    """The newsletter carries the stadskrant's article (behind a tracking link): a post of its own, so its
    source counts as reach, in the first post's story, so the article's weight counts once."""
    serve_stadskrant(server)
    server.serve("/nieuwsbrief.xml", fixture("utm-dubbel.xml"), content_type=RSS)
    newsroom.sources(
        feed_source("stadskrant", server.url("/nieuws/stadskrant.xml"))
        + feed_source("nieuwsbrief", server.url("/nieuwsbrief.xml"))
    )
    assert newsroom.crawl("stadskrant")["new"] == 4

    result = newsroom.crawl("nieuwsbrief")

    assert (result["new"], result["duplicates"]) == (2, 0), result
    carried = {p["title"]: p for p in newsroom.posts("nieuwsbrief")}
    assert set(carried) == {"Fietsenstalling Forum open", "Winterterrassen mogen blijven"}
    original = next(p for p in newsroom.posts("stadskrant") if p["canonical_url"] == carried["Fietsenstalling Forum open"]["canonical_url"])
    assert carried["Fietsenstalling Forum open"]["story_id"] == original["story_id"]
    assert carried["Winterterrassen mogen blijven"]["story_id"] != original["story_id"]
    assert newsroom.crawl("nieuwsbrief")["new"] == 0  # the same source again is a duplicate


def test_loopback_only_mode_refuses_other_hosts_and_keeps_the_teasers(server, newsroom):
    other = LocalServer(host="127.0.0.2")  # loopback too, but not an allowed host: proves nothing is sent
    try:
        feed = fixture("doorverwijzing.xml").replace(b"{other}", f"127.0.0.2:{other.port}".encode())
        server.serve("/media.xml", feed, content_type=RSS)
        newsroom.sources(feed_source("media", server.url("/media.xml")))

        result = newsroom.crawl("media")

        assert result["status"] == "ok" and result["new"] == 2 and result["errors"] == 2, result
        assert "refused https://www.dvhn.nl/groningen/stad/grote-markt-drukte: loopback-only mode" in result["error"]
        assert f"refused http://127.0.0.2:{other.port}/stationsgebied" in result["error"]
        assert other.requests == []
        texts = {p["text"] for p in newsroom.posts()}
        assert "De gemeente Groningen zoekt naar manieren om de drukte te spreiden." in texts
    finally:
        other.close()


def test_robots_txt_is_obeyed(server, newsroom):
    server.serve("/robots.txt", b"User-agent: *\nDisallow: /prive/\n", content_type="text/plain")
    server.serve("/prive/feed.xml", fixture("leeg.xml"), content_type=RSS)
    newsroom.sources(feed_source("prive", server.url("/prive/feed.xml")))

    result = newsroom.crawl("prive")

    assert result["status"] == "failed" and "Forbidden by robots.txt" in result["error"], result
    assert server.requests_to("/prive/feed.xml") == []
    assert server.requests_to("/robots.txt")[0].headers["User-Agent"].startswith("newsroom/")


@pytest.mark.parametrize(
    "name, path, content_type, checks",
    [
        ("afgebroken", "afgebroken.xml", RSS, {"status": "ok", "new": 2, "errors": 1}),
        ("leeg", "leeg.xml", RSS, {"status": "ok", "new": 0, "errors": 0}),
        ("gelogen", "windows1252-gelogen.xml", "application/rss+xml; charset=windows-1252", {"status": "ok", "new": 1}),
        ("ongeldig", "ongeldige-bytes.xml", RSS, {"status": "ok", "new": 1}),
        ("wijkblad", "wijkblad.json", "application/feed+json", {"status": "ok", "fetched": 2, "new": 2}),  # max_items
        ("raad", "raadsinformatie.rdf", "application/rdf+xml", {"status": "ok", "new": 2}),
    ],
)
def test_feed_quirks_are_crawled(server, newsroom, name, path, content_type, checks):
    server.serve(f"/{path}", fixture(path), content_type=content_type)
    newsroom.sources(feed_source(name, server.url(f"/{path}"), follow=False, extra="max_items = 2"))

    result = newsroom.crawl(name)

    assert {k: result[k] for k in checks} == checks, result
    stored = newsroom.posts()
    assert all(p["published_at"].tzinfo is not None and p["text"] for p in stored)
    if name == "afgebroken":
        assert "not well-formed" in result["error"]
    if name == "gelogen":
        assert stored[0]["title"] == "Café De Sleutel viert één jaar jubileum"
        assert "– met live muziek en crêpes" in stored[0]["text"]


def test_pages_over_the_size_limit_are_refused(server, newsroom):
    filler = b"<p>" + b"Groningen " * 5000 + b"</p>"
    server.serve("/groot.xml", Reply(body=fixture("leeg.xml").replace(b"</channel>", filler + b"</channel>"),
                                     content_type=RSS, chunked=True))
    feed = fixture("stadskrant.xml")
    server.serve("/nieuws/stadskrant.xml", feed, content_type=RSS)
    server.serve("/nieuws/artikel/minder-klikos.html", b"<html><body>" + filler + b"</body></html>")
    server.serve("/nieuws/artikel/wateroverlast-paddepoel.html", fixture("artikel-wateroverlast-paddepoel.html"))
    newsroom.sources(
        feed_source("groot", server.url("/groot.xml")) + feed_source("stadskrant", server.url("/nieuws/stadskrant.xml"))
    )

    big_feed = newsroom.crawl("groot", NEWSROOM_CRAWL_MAX_SIZE="20000")
    big_article = newsroom.crawl("stadskrant", NEWSROOM_CRAWL_MAX_SIZE="20000")

    assert big_feed["status"] == "failed" and "download of" in big_feed["error"], big_feed
    assert "20000" in big_feed["error"]
    assert big_article["status"] == "ok" and big_article["new"] == 4 and big_article["errors"] == 1, big_article
    assert "minder-klikos.html refused" in big_article["error"] and "kept the teaser" in big_article["error"]
    klikos = next(p for p in newsroom.posts() if p["external_id"] == "stadskrant-2025-4398")
    assert klikos["text"].startswith("Bewoners van de binnenstad moeten hun afval")


def test_a_failed_article_extraction_keeps_the_flagged_teaser_and_the_feed_is_read_again(
    server, newsroom, tmp_path
):
    # The real failure: lxml_html_clean missing (trafilatura's cleaner needs it), so every extraction raises.
    broken = tmp_path / "broken" / "lxml_html_clean"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('lxml_html_clean is not installed')\n")
    serve_stadskrant(server)
    newsroom.sources(feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))

    first = newsroom.crawl("stadskrant", PYTHONPATH=str(broken.parent))

    assert first["status"] == "ok" and first["new"] == 4 and first["errors"] == 2, first
    assert "could not be read (ImportError" in first["error"] and "kept the teaser" in first["error"]
    klikos = next(p for p in newsroom.posts() if p["external_id"] == "stadskrant-2025-4398")
    assert klikos["text"].startswith("Bewoners van de binnenstad moeten hun afval")
    assert "lxml_html_clean" in klikos["extra"]["article_error"]
    assert not newsroom.state("stadskrant").get("validators")

    second = newsroom.crawl("stadskrant")

    assert second["status"] == "ok" and second["not_modified"] == 0 and second["duplicates"] == 4, second
    assert "If-None-Match" not in server.requests_to("/nieuws/stadskrant.xml")[-1].headers
    assert len(newsroom.posts()) == 4


def test_a_crawl_over_its_time_limit_fails_and_saves_no_validators(server, newsroom):
    serve_stadskrant(server)
    # Still downloading when the limit strikes; stopping waits for it, so the posts are kept.
    server.serve("/nieuws/artikel/minder-klikos.html", fixture("artikel-minder-klikos.html"), delay=3)
    newsroom.sources(feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))

    stopped = newsroom.crawl("stadskrant", timeout=1)

    assert stopped["status"] == "failed" and "time limit of 1 s" in stopped["error"], stopped
    assert not newsroom.state("stadskrant").get("validators")
    assert [r["status"] for r in newsroom.runs("stadskrant")] == ["failed"]

    server.serve("/nieuws/artikel/minder-klikos.html", fixture("artikel-minder-klikos.html"))
    again = newsroom.crawl("stadskrant")

    assert again["status"] == "ok" and again["new"] + again["duplicates"] == 4, again
    assert "If-None-Match" not in server.requests_to("/nieuws/stadskrant.xml")[-1].headers


def test_a_hung_crawl_is_killed_and_recorded_as_failed(server, newsroom, monkeypatch):
    # The crawl stops itself after `timeout`, but stopping waits for the hung download; GRACE seconds
    # later it is terminated, then killed, and its run is recorded as failed.
    server.serve("/traag.xml", fixture("leeg.xml"), content_type=RSS, delay=30)
    newsroom.sources(feed_source("traag", server.url("/traag.xml")))
    migrate(newsroom.engine)
    monkeypatch.setattr(crawlers.launch, "GRACE", 1.0)

    started = time.monotonic()
    result = newsroom.crawl("traag", timeout=5, NEWSROOM_CRAWL_DOWNLOAD_TIMEOUT="60")

    assert time.monotonic() - started < 20
    assert result["status"] == "failed" and result["source"] == "traag", result
    assert "crawl process killed: no result 6 s after it started" in result["error"], result
    runs = newsroom.runs("traag")
    assert all(run["status"] == "failed" for run in runs)
    if server.requests_to("/traag.xml"):  # it got as far as crawling (on a very busy machine it may not)
        assert result["run_id"] == runs[0]["id"] and runs[0]["error"].startswith("crawl process killed")


def test_usage_and_configuration_errors_exit_2(newsroom, tmp_path):
    newsroom.sources(feed_source("stadskrant", "http://127.0.0.1:9/feed.xml"))
    code, result, log = newsroom.run_module("onbekend")
    assert code == 2 and "unknown source 'onbekend' (configured: stadskrant)" in result["error"]

    broken = tmp_path / "kapot.toml"
    broken.write_text('[watch]\ncity = "Groningen"\nterms = []\n', encoding="utf-8")
    code, result, log = newsroom.run_module("stadskrant", NEWSROOM_CONFIG=str(broken))
    assert code == 2 and str(broken) in result["error"] and "watch.terms" in result["error"]
    assert "watch.terms" in log

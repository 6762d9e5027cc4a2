"""`newsroom demo`: the replay server's platforms, its corpus, and the whole demo as a process.

The replay server is tested over real HTTP on 127.0.0.1, parsed the way clients parse the real
platforms (feedparser, JSON keys, Link headers, cursors, CSS selectors). The end-to-end tests start
`newsroom demo` as a child process with its own store and check it fills and keeps filling.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
import httpx
import pytest
from parsel import Selector

import crawlers.spiders
from core.config.settings import Settings
from core.config.watch import SOURCE_KINDS, load_config
from core.ingest.themes import themes_for
from core.matching import is_relevant
from core.store.db import make_engine, migrate
from demo import DemoError, ReplayServer, demo_config, forum, quicken, texts
from demo.bluesky import uri
from demo.corpus import Corpus
from demo.launch import config_beside, fresh_database
from demo.mastodon import status_id
from newsroom.jobs import build_scheduler

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# XML namespaces name things; nobody fetches them.
NAMESPACES = ("http://www.w3.org/", "http://purl.org/dc/", "http://search.yahoo.com/mrss/")
SPEED = 40.0


@pytest.fixture(scope="module")
def replay():
    with ReplayServer(speed=SPEED) as server:
        yield server


@pytest.fixture(scope="module")
def client():
    with httpx.Client(trust_env=False, timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def demo_watch(replay, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-config") / "demo.toml"
    path.write_text(demo_config(replay.urls, "http://127.0.0.1:8000"), encoding="utf-8")
    return load_config(path)


def get(client, replay, kind: str, path: str, **headers) -> httpx.Response:
    response = client.get(replay.urls[kind] + path, headers=headers)
    return response


# --- the corpus ------------------------------------------------------------------------------------

def test_same_seed_same_posts():
    start = datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc)
    first, second = Corpus(start, speed=5), Corpus(start, speed=5)
    later = start + timedelta(minutes=3)
    texts_of = lambda corpus: [(p.platform, p.at, p.author.key, p.text) for p in corpus.released(later)]
    assert texts_of(first) == texts_of(second)
    assert len(texts_of(first)) > 300


def test_backlog_has_every_kind_theme_sentiment_and_shape():
    start = datetime.now(timezone.utc)
    posts = Corpus(start).released(start)
    assert 2000 <= len(posts) <= 4000
    assert {p.platform for p in posts} == set(SOURCE_KINDS)
    assert {p.theme for p in posts} >= set(texts.SOCIAL)
    assert Counter(p.sentiment for p in posts).keys() == {"negative", "neutral", "positive"}
    assert min(p.at for p in posts) < start - timedelta(hours=40)
    assert max(p.at for p in posts) <= start
    assert any(p.parent is not None for p in posts if p.platform in ("mastodon", "bluesky"))
    assert any(p.boost for p in posts) and any(p.quote is not None and not p.boost for p in posts)
    assert any(p.link is not None for p in posts), "outlets share their articles on social media"
    stories = Counter(p.story for p in posts if p.story is not None)
    assert stories and max(stories.values()) == 2, "a wire article appears in two feeds"
    assert sum(1 for p in posts if p.image) > 30
    assert any(p.lang == "en" for p in posts)
    assert any(p.author.public for p in posts if p.platform != "feed")
    # A store takes the same text twice from one source for a duplicate: within a source, texts differ.
    by_source = Counter((p.platform, p.place if p.platform == "feed" else "", p.text) for p in posts if p.text)
    assert max(by_source.values()) == 1


def test_brewing_issue_rises_then_is_answered():
    start = datetime.now(timezone.utc)
    corpus = Corpus(start)
    episode = texts.EPISODES[0]
    posts = corpus.released(corpus.time_at(episode["ends"]))

    def negative(since: float, until: float) -> int:
        return sum(1 for p in posts if p.episode == episode["name"] and p.sentiment == "negative"
                   and corpus.time_at(since) <= p.at < corpus.time_at(until))

    peak, half = episode["peak"], episode["peak"] // 2
    assert 2 * negative(-peak, 0) < negative(0, peak)
    assert negative(-half, 0) < negative(half, peak)
    answers = [p for p in posts if p.episode == episode["name"] and p.author.key == "gemeentegroningen"]
    assert {p.platform for p in answers} >= {"feed", "mastodon", "bluesky"}
    relieved = [p for p in posts if p.episode == episode["name"] and p.sentiment == "positive"]
    assert relieved and min(p.at for p in relieved) >= corpus.time_at(episode["resolved"])


def test_templates_name_their_theme(demo_watch):
    """Every template holds a term of its theme, whatever fills its variables, so the wall shows it there."""
    variants = [{name: options[i % len(options)] for name, options in texts.VARIABLES.items()} for i in range(3)]
    templates = []  # (theme, title, text)
    for theme, by_sentiment in texts.SOCIAL.items():
        for sentiment in texts.SENTIMENTS:
            assert len(by_sentiment[sentiment]) >= 3, (theme, sentiment)
            templates += [(theme, None, template) for template in by_sentiment[sentiment]]
    for theme, threads in texts.THREADS.items():
        templates += [(theme, title, text) for _sentiment, title, text in threads]
    for theme, articles in texts.NEWS.items():
        assert {a[0] for a in articles} == set(texts.SENTIMENTS)
        templates += [(theme, title, "\n".join([teaser, *body])) for _sentiment, title, teaser, body in articles]
    for theme, title, teaser, body in texts.MUNICIPAL + texts.WIRE:
        templates.append((theme, title, "\n".join([teaser, *body])))
    for episode in texts.EPISODES:
        spoken = episode["complaints"] + episode["response"] + episode["relief"]
        templates += [(episode["theme"], None, t) for t in spoken]
    assert len(templates) > 150
    for theme, title, text in templates:
        for values in variants:
            found = themes_for(demo_watch.themes, title and title.format(**values), text.format(**values))
            assert theme in found, title or text


def test_regional_news_is_not_about_the_city(demo_watch):
    for _sentiment, title, teaser, paragraphs in texts.REGIONAL:
        text = "\n".join([title, teaser, *paragraphs])
        assert not is_relevant(text, demo_watch.watch.terms, demo_watch.watch.exclude), title


def test_demo_config_has_every_kind_on_loopback(demo_watch):
    assert {s.kind for s in demo_watch.sources} == set(SOURCE_KINDS)
    for source in demo_watch.sources:
        assert urlsplit(source.url).hostname == "127.0.0.1", source.name
        assert source.interval <= timedelta(minutes=1)
    assert "gemeentegroningen" in demo_watch.privacy.public_roles
    groningen = load_config(ROOT / "config" / "groningen.toml")
    assert demo_watch.themes == groningen.themes
    assert demo_watch.watch == groningen.watch


def test_fresh_database_leaves_other_files_alone(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("boodschappenlijst")
    with pytest.raises(DemoError, match="not a SQLite database"):
        fresh_database(notes)
    assert notes.read_text() == "boodschappenlijst"
    store = tmp_path / "demo.db"
    sqlite3.connect(store).execute("create table t (x)").connection.close()
    (tmp_path / "demo.db-wal").write_bytes(b"")
    fresh_database(store)
    assert not store.exists() and not (tmp_path / "demo.db-wal").exists()
    mine = tmp_path / "demo.db.toml"
    mine.write_text("[watch]\ncity = 'Groningen'\n")
    with pytest.raises(DemoError, match="not a demo configuration"):
        config_beside(store)


def test_demo_runs_analytics_every_minute(tmp_path, demo_watch):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate(engine)
    scheduler = build_scheduler(Settings(database_url=str(engine.url)), demo_watch, engine)
    hourly = {job.id: job.trigger for job in scheduler.get_jobs() if job.id != "analytics"}
    quicken(scheduler)
    assert scheduler.get_job("analytics").trigger.interval == timedelta(minutes=1)
    assert {job.id: job.trigger for job in scheduler.get_jobs() if job.id != "analytics"} == hourly
    engine.dispose()


def test_demo_command_refuses_a_store_that_is_not_its_own(tmp_path):
    from typer.testing import CliRunner

    from newsroom.cli import app

    notes = tmp_path / "notes.db"
    notes.write_text("boodschappenlijst")
    result = CliRunner().invoke(app, ["demo", "--db", str(notes)])
    assert result.exit_code == 2 and "not a SQLite database" in result.output
    assert notes.read_text() == "boodschappenlijst"


# --- news feeds ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, full_text", [("/stadsblad/rss.xml", False), ("/noorderbode/atom.xml", True),
                                             ("/gemeente/rss.xml", True)])
def test_feeds_parse_with_article_pages(client, replay, path, full_text):
    response = get(client, replay, "feed", path)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert 3 <= len(parsed.entries) <= 20
    for entry in parsed.entries:
        assert entry.title and entry.link and entry.published_parsed and entry.get("author")
    entry = parsed.entries[0]
    text = entry["content"][0]["value"] if "content" in entry else entry.summary
    if full_text:
        assert text.count("<p>") >= 2, "the whole article is in the feed"
    else:
        assert "<p>" not in text and len(text) < 400, "a teaser: the story is on the article page"
    page = client.get(parsed.entries[0].link)
    assert page.status_code == 200
    html = Selector(page.text)
    assert html.css("h1::text").get() == parsed.entries[0].title
    assert html.css("article p.lead").get() and len(html.css("article p")) >= 3
    published = datetime.fromisoformat(html.css('meta[property="article:published_time"]::attr(content)').get())
    assert published.utctimetuple()[:5] == entry.published_parsed[:5]
    assert html.css('meta[name="author"]::attr(content)').get() == parsed.entries[0].author
    image = client.get(html.css('meta[property="og:image"]::attr(content)').get())
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_feed_answers_304_to_a_client_that_has_it(client, replay):
    first = get(client, replay, "feed", "/stadsblad/rss.xml")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert get(client, replay, "feed", "/stadsblad/rss.xml", **{"If-None-Match": etag}).status_code == 304
    assert get(client, replay, "feed", "/stadsblad/rss.xml", **{"If-Modified-Since": modified}).status_code == 304
    assert get(client, replay, "feed", "/stadsblad/rss.xml", **{"If-None-Match": '"oud"'}).status_code == 200


def test_syndicated_article_is_in_two_feeds(client, replay):
    # Over the backlog, wire stories appear in both outlets (the feeds serve only the newest 20 items,
    # which need not hold one right now).
    outlets: dict[int, set[str]] = {}
    for post in replay.corpus.released(replay.now()):
        if post.story is not None:
            outlets.setdefault(post.story, set()).add(post.place)
    assert any(places == {"stadsblad", "noorderbode"} for places in outlets.values())


def test_unknown_article_is_404(client, replay):
    assert get(client, replay, "feed", "/stadsblad/nieuws/2020/01/999999-bestaat-niet.html").status_code == 404


# --- Mastodon --------------------------------------------------------------------------------------

def _links(response: httpx.Response) -> dict[str, str]:
    return {match[1]: match[0] for match in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', response.headers.get("Link", ""))}


def test_mastodon_tag_timeline_pages_to_the_end(client, replay):
    url = replay.urls["mastodon"] + "/api/v1/timelines/tag/groningen?limit=40"
    seen: list[int] = []
    response = None
    for _page in range(100):
        response = client.get(url)
        assert response.status_code == 200
        statuses = response.json()
        for status in statuses:
            assert "groningen" in {t["name"] for t in status["tags"]}
            assert status["account"]["acct"] and status["content"].startswith("<p>")
            assert status["reblog"] is None
        seen += [int(s["id"]) for s in statuses]
        if "next" not in _links(response):
            break
        url = _links(response)["next"]
    assert len(seen) > 60 and seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)
    first = client.get(replay.urls["mastodon"] + "/api/v1/timelines/tag/groningen?limit=5")
    newest = int(first.json()[0]["id"])
    assert int(parse_qs(urlsplit(_links(first)["prev"]).query)["min_id"][0]) == newest
    older = client.get(replay.urls["mastodon"] + f"/api/v1/timelines/tag/groningen?limit=5&min_id={seen[10]}").json()
    assert [int(s["id"]) for s in older] == seen[5:10], "min_id gives the statuses just after it, newest first"
    since = client.get(replay.urls["mastodon"] + f"/api/v1/timelines/tag/groningen?since_id={seen[3]}").json()
    assert all(int(s["id"]) > seen[3] for s in since)


def test_mastodon_threads_boosts_and_search(client, replay):
    base = replay.urls["mastodon"]
    statuses = client.get(base + "/api/v1/timelines/public?limit=40").json()
    reply = next(s for s in statuses if s["in_reply_to_id"])
    context = client.get(f"{base}/api/v1/statuses/{reply['id']}/context").json()
    assert context["ancestors"][-1]["id"] == reply["in_reply_to_id"]
    assert reply["mentions"] and reply["content"].count("u-url mention") == 1
    account = client.get(base + "/api/v1/accounts/lookup?acct=gemeentegroningen").json()
    assert account["followers_count"] > 10000
    assert "Link" in client.get(f"{base}/api/v1/accounts/{account['id']}/statuses?limit=1").headers
    published = replay.corpus.released(datetime.now(timezone.utc), "mastodon")
    boost = next(p for p in reversed(published) if p.boost)
    booster = client.get(base + f"/api/v1/accounts/lookup?acct={boost.author.key}").json()
    shown = client.get(f"{base}/api/v1/accounts/{booster['id']}/statuses",
                       params={"max_id": status_id(boost) + 1, "limit": 1}).json()[0]
    assert shown["id"] == str(status_id(boost)) and shown["content"] == ""
    assert shown["reblog"]["id"] == str(status_id(boost.quote)) and shown["reblog"]["reblogs_count"] >= 1
    found = client.get(base + "/api/v2/search?q=Beijum&type=statuses&limit=40").json()
    assert found["statuses"] and all("beijum" in s["content"].lower() for s in found["statuses"])
    assert client.get(base + "/api/v1/statuses/1").status_code == 404
    pictured = next(p for p in reversed(published) if p.image and not p.boost)
    media = client.get(f"{base}/api/v1/statuses/{status_id(pictured)}").json()
    assert client.get(media["media_attachments"][0]["url"]).content.startswith(b"\x89PNG")
    assert client.get(media["url"]).status_code == 200


# --- Bluesky ---------------------------------------------------------------------------------------

def test_bluesky_search_cursor_pages_to_the_end(client, replay):
    base = replay.urls["bluesky"] + "/xrpc/app.bsky.feed.searchPosts?q=groningen&lang=nl&limit=25"
    uris, cursor, total = [], None, None
    for _page in range(100):
        data = client.get(base + (f"&cursor={cursor}" if cursor else "")).json()
        total = data["hitsTotal"] if total is None else total
        for post in data["posts"]:
            assert post["uri"].startswith("at://did:plc:") and post["cid"].startswith("bafyrei")
            assert {"did", "handle", "displayName"} <= post["author"].keys()
            assert post["record"]["$type"] == "app.bsky.feed.post" and post["record"]["langs"] == ["nl"]
            assert "groningen" in post["record"]["text"].lower()
            assert {"likeCount", "repostCount", "replyCount", "quoteCount", "indexedAt"} <= post.keys()
        uris += [p["uri"] for p in data["posts"]]
        cursor = data.get("cursor")
        if cursor is None:
            break
    assert len(uris) == len(set(uris)) == total >= 20, "the cursor pages over one snapshot, to its end"
    since = datetime.now(timezone.utc) - timedelta(hours=2)
    recent = client.get(replay.urls["bluesky"] + "/xrpc/app.bsky.feed.searchPosts",
                        params={"q": "groningen", "since": since.isoformat()}).json()
    assert all(p["record"]["createdAt"] >= (datetime.now(timezone.utc) - timedelta(hours=2, minutes=1)).isoformat()[:16]
               for p in recent["posts"])
    assert client.get(replay.urls["bluesky"] + "/xrpc/app.bsky.feed.searchPosts").status_code == 400


def test_bluesky_threads_quotes_images_and_profiles(client, replay):
    base = replay.urls["bluesky"] + "/xrpc/"
    published = replay.corpus.released(datetime.now(timezone.utc), "bluesky")
    reply = next(p for p in reversed(published) if p.parent is not None)
    thread = client.get(base + "app.bsky.feed.getPostThread", params={"uri": uri(reply)}).json()["thread"]
    assert thread["post"]["record"]["reply"]["parent"]["uri"] == thread["parent"]["post"]["uri"] == uri(reply.parent)
    quoting = next(p for p in reversed(published) if p.quote is not None)
    quote = client.get(base + "app.bsky.feed.getPosts", params={"uris": [uri(quoting)]}).json()["posts"][0]
    assert quote["embed"]["$type"] == "app.bsky.embed.record#view"
    assert quote["embed"]["record"]["uri"] == quote["record"]["embed"]["record"]["uri"] == uri(quoting.quote)
    pictured = next(p for p in reversed(published) if p.image and p.quote is None and p.link is None)
    shown = client.get(base + "app.bsky.feed.getPosts", params={"uris": [uri(pictured)]}).json()["posts"][0]
    assert shown["record"]["embed"]["$type"] == "app.bsky.embed.images"
    assert client.get(shown["embed"]["images"][0]["fullsize"]).content.startswith(b"\x89PNG")
    posts = client.get(base + "app.bsky.feed.searchPosts?q=groningen&limit=100").json()["posts"]
    handles = list({p["author"]["handle"] for p in posts})[:5]
    profiles = client.get(base + "app.bsky.actor.getProfiles", params={"actors": handles}).json()["profiles"]
    assert len(profiles) == len(handles) and all(p["followersCount"] >= 0 for p in profiles)
    missing = client.get(base + "app.bsky.feed.getPostThread", params={"uri": "at://did:plc:x/app.bsky.feed.post/x"})
    assert missing.status_code == 400 and missing.json()["error"] == "NotFound"


# --- Discourse -------------------------------------------------------------------------------------

def test_discourse_latest_and_post_streams(client, replay):
    base = replay.urls["discourse"]
    latest = client.get(base + "/latest.json").json()
    topics = latest["topic_list"]["topics"]
    bumped = [t["bumped_at"] for t in topics]
    assert topics and bumped == sorted(bumped, reverse=True)
    assert {u["id"] for u in latest["users"]} >= {p["user_id"] for t in topics for p in t["posters"]}
    topic = max(topics, key=lambda t: t["posts_count"])
    detail = client.get(f"{base}/t/{topic['slug']}/{topic['id']}.json").json()
    stream = detail["post_stream"]["stream"]
    assert len(stream) == detail["posts_count"] == topic["posts_count"]
    loaded = [p["id"] for p in detail["post_stream"]["posts"]]
    assert loaded == stream[:len(loaded)]
    rest = stream[len(loaded):] or stream[-1:]
    more = client.get(f"{base}/t/{topic['id']}/posts.json", params=[("post_ids[]", i) for i in rest]).json()
    assert [p["id"] for p in more["post_stream"]["posts"]] == rest
    post = detail["post_stream"]["posts"][0]
    assert post["post_number"] == 1 and post["cooked"].startswith("<p>") and post["username"]
    before = client.get(f"{base}/t/{topic['id']}/posts.json?post_number=3").json()["post_stream"]["posts"]
    assert [p["post_number"] for p in before] == [2, 1]
    assert client.get(f"{base}/t/999999.json").status_code == 404


# --- Reddit ----------------------------------------------------------------------------------------

def test_reddit_listing_pages_with_after(client, replay):
    base = replay.urls["reddit"]
    names, times, after = [], [], None
    for _page in range(100):
        params = {"limit": 100, "raw_json": 1, **({"after": after} if after else {})}
        listing = client.get(base + "/r/groningen/new.json", params=params).json()
        assert listing["kind"] == "Listing"
        for child in listing["data"]["children"]:
            assert child["kind"] == "t3"
            assert {"id", "name", "title", "author", "created_utc", "permalink", "num_comments",
                    "score"} <= child["data"].keys()
        names += [c["data"]["name"] for c in listing["data"]["children"]]
        times += [c["data"]["created_utc"] for c in listing["data"]["children"]]
        after = listing["data"]["after"]
        if after is None:
            break
    assert len(names) == len(set(names)) > 100, "after pages to the end, without repeats"
    assert times == sorted(times, reverse=True)
    newer = client.get(base + "/r/groningen/new.json", params={"before": names[5], "limit": 3}).json()
    assert [c["data"]["name"] for c in newer["data"]["children"]] == names[2:5]
    unknown = client.get(base + "/r/nergensniet/new.json")
    assert unknown.status_code == 302 and "/subreddits/search.json?q=nergensniet" in unknown.headers["Location"]
    counted = client.get(base + "/api/info.json", params={"id": ",".join(names[:3]), "raw_json": 1}).json()
    assert [c["data"]["name"] for c in counted["data"]["children"]] == names[:3]


def test_reddit_comments_and_escaping(client, replay):
    base = replay.urls["reddit"]
    submissions = client.get(base + "/r/groningen/new.json?limit=100&raw_json=1").json()["data"]["children"]
    busiest = max(submissions, key=lambda c: c["data"]["num_comments"])["data"]
    post, comments = client.get(base + busiest["permalink"] + ".json", params={"raw_json": 1}).json()
    assert post["data"]["children"][0]["data"]["name"] == busiest["name"]

    def walk(listing):
        for child in listing["data"]["children"]:
            yield child["data"]
            if child["data"]["replies"]:
                yield from walk(child["data"]["replies"])

    found = list(walk(comments))
    assert len(found) == busiest["num_comments"] > 1
    assert all(c["link_id"] == busiest["name"] and c["body"] for c in found)
    newest = client.get(base + "/r/groningen/comments.json?limit=5").json()["data"]["children"]
    assert [c["kind"] for c in newest] == ["t1"] * 5
    selfpost = next(c["data"] for c in submissions if c["data"]["selftext_html"])
    escaped = client.get(base + "/r/groningen/new.json?limit=100").json()["data"]["children"]
    same = next(c["data"] for c in escaped if c["data"]["name"] == selfpost["name"])
    assert selfpost["selftext_html"].startswith("<!-- SC_OFF -->")
    assert same["selftext_html"].startswith("&lt;!-- SC_OFF --&gt;")
    found = client.get(base + "/search.json", params={"q": "Beijum", "sort": "new", "raw_json": 1}).json()
    assert all("beijum" in (c["data"]["title"] + c["data"]["selftext"]).lower() for c in found["data"]["children"])


# --- the HTML forum --------------------------------------------------------------------------------

def test_forum_reads_with_the_configured_selectors(client, replay, demo_watch):
    def longest() -> int:
        return max(Counter(p.opener.n for p in replay.corpus.released(datetime.now(timezone.utc), "forum")).values())

    deadline = time.monotonic() + 20
    while longest() <= forum.POSTS_PER_PAGE and time.monotonic() < deadline:
        time.sleep(0.5)  # at this speed some thread soon runs over more than one page
    source = next(s for s in demo_watch.sources if s.kind == "forum")
    options = source.options
    threads, page_url = [], source.url
    while page_url:
        page = Selector(client.get(page_url).text)
        threads += [urljoin(page_url, href) for href in page.css(options["thread_links"]).getall()]
        following = page.css(options["next_page"]).get()
        page_url = urljoin(page_url, following) if following else None
    # The list is ordered by latest reply, as on a live forum: a thread that gets a reply while we page
    # moves up, and the one it pushes down can show again at the top of the next page.
    assert len(threads) - len(set(threads)) <= 2
    assert len(set(threads)) > forum.THREADS_PER_PAGE, "the thread list runs over pages"
    openers = [p for p in replay.corpus.released(datetime.now(timezone.utc), "forum") if p.is_opener]
    longest = max(openers, key=lambda o: len([p for p in replay.corpus.released(datetime.now(timezone.utc), "forum")
                                             if p.opener is o]))
    longest_pages, posts = 0, 0
    for thread_url in threads[:8] + [replay.urls["forum"] + forum.thread_path(longest)]:
        pages, url = 0, thread_url
        while url:
            response = client.get(url)
            assert response.status_code == 200
            page = Selector(response.text)
            for post in page.css(options["post"]):
                assert post.css(options["author"]).xpath("string()").get().strip()
                assert datetime.fromisoformat(post.css(options["date"]).get()).tzinfo is not None
                assert post.css(options["text"]).xpath("string()").get().strip()
                posts += 1
            pages += 1
            following = page.css(options["next_page"]).get()
            url = urljoin(url, following) if following else None
        longest_pages = max(longest_pages, pages)
    assert posts > 20 and longest_pages >= 2, "some thread runs over more than one page"
    robots = client.get(replay.urls["forum"] + "/robots.txt").text
    assert "Disallow: /forum/zoeken" in robots


def test_platform_apis_serve_posts_with_their_conversations(client, replay):
    """Facebook, Instagram, X and YouTube: the posts a spider lists, and the replies under them."""
    graph = replay.urls["facebook"] + "/v21.0"
    page = client.get(graph + "/gemeentegroningen").json()
    posts = client.get(f"{graph}/{page['id']}/published_posts", params={"limit": 100}).json()["data"]
    commented = next(p for p in posts if p["comments"]["summary"]["total_count"] > 1)
    comments = client.get(f"{graph}/{commented['id']}/comments", params={"filter": "stream", "limit": 100}).json()["data"]
    # The demo clock runs on: a comment may be published between the two requests, never taken away.
    assert len(comments) >= commented["comments"]["summary"]["total_count"]
    assert [c["created_time"] for c in comments] == sorted((c["created_time"] for c in comments), reverse=True)

    instagram = replay.urls["instagram"] + "/v21.0"
    tag = client.get(instagram + "/ig_hashtag_search", params={"q": "groningen"}).json()["data"][0]["id"]
    tagged = client.get(f"{instagram}/{tag}/recent_media", params={"limit": 50}).json()["data"]
    assert tagged and all("#groningen" in m["caption"] and "username" not in m for m in tagged)

    search = replay.urls["x"] + "/2/tweets/search/recent"
    found = client.get(search, params={"query": "#groningen lang:nl -is:retweet", "max_results": 100}).json()
    assert found["data"] and {u["id"] for u in found["includes"]["users"]} >= {t["author_id"] for t in found["data"]}
    answered = next(t for t in found["data"] if t["public_metrics"]["reply_count"])
    replies = client.get(search, params={"query": f"conversation_id:{answered['conversation_id']}"}).json()["data"]
    assert all(t["conversation_id"] == answered["conversation_id"] for t in replies)

    youtube = replay.urls["youtube"] + "/youtube/v3"
    videos = client.get(youtube + "/search", params={"q": "Groningen", "maxResults": 50}).json()["items"]
    ids = ",".join(v["id"]["videoId"] for v in videos)
    stats = client.get(youtube + "/videos", params={"id": ids, "part": "snippet,statistics"}).json()["items"]
    video = max(stats, key=lambda v: int(v["statistics"]["commentCount"]))
    threads = client.get(youtube + "/commentThreads", params={"videoId": video["id"], "maxResults": 100}).json()["items"]
    assert sum(1 + t["snippet"]["totalReplyCount"] for t in threads) == int(video["statistics"]["commentCount"])


# --- over time, and on loopback only ---------------------------------------------------------------

def test_new_posts_appear_over_time(client):
    with ReplayServer(speed=400) as replay:
        _see_new_posts(client, replay)


def _see_new_posts(client, replay):
    counts = {
        "feed": lambda: len(feedparser.parse(get(client, replay, "feed", "/gemeente/rss.xml").content).entries),
        "mastodon": lambda: client.get(replay.urls["mastodon"] + "/api/v1/timelines/public?limit=1").json()[0]["id"],
        "bluesky": lambda: client.get(replay.urls["bluesky"] + "/xrpc/app.bsky.feed.searchPosts?q=groningen&limit=1"
                                      ).json()["hitsTotal"],
        "discourse": lambda: client.get(replay.urls["discourse"] + "/posts.json").json()["latest_posts"][0]["id"],
        "reddit": lambda: client.get(replay.urls["reddit"] + "/r/groningen/comments.json?limit=1"
                                     ).json()["data"]["children"][0]["data"]["name"],
        "forum": lambda: client.get(replay.urls["forum"] + "/forum/").text,
    }
    before = {kind: count() for kind, count in counts.items()}
    changed: set[str] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(counts) - {"feed"} <= changed:
        time.sleep(0.5)
        changed |= {kind for kind, count in counts.items() if count() != before[kind]}
    # The municipality's feed publishes rarely; every other platform changes within seconds at this speed.
    assert changed >= set(counts) - {"feed"}, f"no new posts on {set(counts) - changed}"


_URL = re.compile(r"""https?://[^\s"'<>\\)]+""")


def test_every_address_served_is_on_loopback(client, replay):
    bases = replay.urls
    pages = [
        bases["feed"] + "/stadsblad/rss.xml", bases["feed"] + "/noorderbode/atom.xml",
        bases["feed"] + "/gemeente/rss.xml", bases["mastodon"] + "/api/v1/timelines/tag/groningen?limit=40",
        bases["mastodon"] + "/api/v2/search?q=groningen",
        bases["bluesky"] + "/xrpc/app.bsky.feed.searchPosts?q=groningen&limit=100",
        bases["discourse"] + "/latest.json", bases["discourse"] + "/posts.json",
        bases["reddit"] + "/r/groningen/new.json?limit=100", bases["reddit"] + "/r/groningen/comments.json?limit=100",
        bases["forum"] + "/forum/",
        bases["facebook"] + "/v21.0/165000001001/published_posts", bases["instagram"] + "/v21.0/17841400000001001/media",
        bases["x"] + "/2/tweets/search/recent?query=groningen", bases["youtube"] + "/youtube/v3/search?q=Groningen",
    ]
    followed = set()
    for url in pages:
        body = client.get(url).text
        for found in _URL.findall(body.replace("&amp;", "&")):
            if found.startswith(NAMESPACES):
                continue
            assert urlsplit(found).hostname in LOOPBACK, f"{url} points at {found}"
            if len(followed) < 60 and found not in followed and not found.endswith(".png"):
                followed.add(found)
    for url in followed:  # pages those addresses lead to stay on loopback too
        for found in _URL.findall(client.get(url).text):
            assert found.startswith(NAMESPACES) or urlsplit(found).hostname in LOOPBACK, f"{url} points at {found}"


def test_every_site_has_robots_txt(client, replay):
    for kind, base in replay.urls.items():
        response = client.get(base + "/robots.txt")
        assert response.status_code == 200 and response.text.startswith("User-agent: *"), kind


# --- `newsroom demo`, end to end -------------------------------------------------------------------

def _spider_kinds() -> set[str]:
    folder = Path(crawlers.spiders.__file__).parent
    return {kind for kind in SOURCE_KINDS if (folder / f"{kind}.py").exists()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class DemoRun:
    process: subprocess.Popen
    database: Path
    port: int
    started: float
    started_at: datetime
    log: Path

    def posts_by_kind(self) -> Counter:
        if not self.database.exists():
            return Counter()
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as conn:
                rows = conn.execute("select s.kind, count(p.id) from posts p join sources s on s.id = p.source_id "
                                    "group by s.kind").fetchall()
        except sqlite3.OperationalError:  # not migrated yet, or busy
            return Counter()
        return Counter(dict(rows))

    def query(self, sql: str) -> list:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def wait_for(self, kinds: set[str], within: float) -> Counter:
        counts = self.posts_by_kind()
        while time.monotonic() < self.started + within and not kinds <= set(counts):
            assert self.process.poll() is None, f"newsroom demo exited early:\n{self.tail()}"
            time.sleep(1)
            counts = self.posts_by_kind()
        return counts


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-run")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log_path = folder / "demo.log"
    with log_path.open("w") as log:
        started_at = datetime.now(timezone.utc)
        process = subprocess.Popen(
            [sys.executable, "-m", "newsroom.cli", "demo", "--port", str(port), "--speed", "10", "--db",
             str(folder / "newsroom-demo.db")],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        run = DemoRun(process, folder / "newsroom-demo.db", port, time.monotonic(), started_at, log_path)
        try:
            yield run
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_demo_stores_posts_of_every_kind_within_a_minute(demo_run, kind):
    if kind not in _spider_kinds():
        pytest.skip(f"no spider for source kind {kind!r} yet (crawlers/spiders/{kind}.py is missing)")
    counts = demo_run.wait_for(_spider_kinds(), within=60)
    waited = time.monotonic() - demo_run.started
    assert counts[kind] > 0, f"no {kind} posts {waited:.0f} s after the start:\n{demo_run.tail()}"


def test_demo_keeps_publishing(demo_run):
    """Later crawls store posts the replay server published after the demo started."""
    later_runs = ("select count(*) from crawl_runs r where r.status = 'ok' and r.new > 0 and exists "
                  "(select 1 from crawl_runs e where e.source_id = r.source_id and e.started_at < r.started_at)")
    deadline = demo_run.started + 150
    while time.monotonic() < deadline and not demo_run.query(later_runs)[0][0]:
        assert demo_run.process.poll() is None, f"newsroom demo exited early:\n{demo_run.tail()}"
        time.sleep(2)
    assert demo_run.query(later_runs)[0][0], f"no crawl after the first stored new posts:\n{demo_run.tail()}"
    published = [datetime.fromisoformat(value) for (value,) in demo_run.query("select published_at from posts")]
    fresh = [p for p in published if (p if p.tzinfo else p.replace(tzinfo=timezone.utc)) > demo_run.started_at]
    assert fresh, "no post published after the start of the demo reached the store"


def test_demo_serves_the_app_and_stays_on_loopback(demo_run):
    demo_run.wait_for(_spider_kinds(), within=60)
    with httpx.Client(trust_env=False, timeout=5) as http:
        assert http.get(f"http://127.0.0.1:{demo_run.port}/healthz").status_code == 200
    config = load_config(config_beside(demo_run.database))
    assert all(urlsplit(s.url).hostname == "127.0.0.1" for s in config.sources)
    # Crawls run loopback-only: a request elsewhere would be refused and named in the run's errors.
    errors = [error for (error,) in demo_run.query("select error from crawl_runs where error is not null")]
    assert not [e for e in errors if "loopback-only" in e], errors


def test_demo_stops_cleanly_on_ctrl_c(demo_run):
    os.killpg(demo_run.process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    assert demo_run.process.wait(timeout=60) == 0, demo_run.tail()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(demo_run.process.pid, 0)
        except ProcessLookupError:
            break  # no crawl process of the demo is left
        time.sleep(0.5)
    else:
        pytest.fail("crawl processes of the demo are still running after it stopped")

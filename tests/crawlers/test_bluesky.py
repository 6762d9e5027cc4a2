"""Bluesky: real crawls (`python -m crawlers.run`) against recorded-style answers on 127.0.0.1."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from localserver import Reply
from platforms import (
    JSON,
    WATCH,
    fixture,
    fixture_json,
    query,
    requests_to,
    stored_text,
)

from core.config.settings import Settings
from core.ingest.privacy import Pseudonymiser
from crawlers.spiders.bluesky import post_view_post

SESSION = "/xrpc/com.atproto.server.createSession"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
LOGIN = {"NEWSROOM_BLUESKY_HANDLE": "redactie-test.bsky.social", "NEWSROOM_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}
PRIVATE_HANDLES = ("anouk.bsky.social", "maritz", "jelmerbakker", "Anouk de Vries", "Marit Zijlstra", "Jelmer Bakker")
MARIT = "did:plc:mar1tz1j15tra4groen6bksv"
GEMEENTE = "did:plc:gm3ntegron1ngen2x7qk4abd"
# Post ids hold the author's DID: the store keeps their keyed hash (core.ingest.privacy).
KEYED = Pseudonymiser(Settings().pseudonym_key)  # the key tests/conftest.py sets


def by_post_key(posts: list[dict]) -> dict[str, dict]:
    """Stored posts by the last part of their at:// URI, found back through the keyed hash."""
    uris = set()
    for name in ("search-1.json", "search-2.json", "feed-gemeente.json", "search-nieuwer.json",
                 "feed-gemeente-nieuwer.json"):
        uris |= set(re.findall(r'at://did:[^"]+/app\.bsky\.feed\.post/[a-z0-9]+', fixture("bluesky", name).decode()))
    hashed = {KEYED.hashed_id(uri): uri.rsplit("/", 1)[-1] for uri in uris}
    return {hashed.get(p["external_id"], p["external_id"]): p for p in posts}


def answer(name: str) -> Reply:
    return Reply(body=fixture("bluesky", name), content_type=JSON,
                 headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "2981", "RateLimit-Policy": "3000;w=300"})


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url()
    return module_newsroom(WATCH + f"""
[[sources]]
name = "bluesky-stad"
kind = "bluesky"
url = "{url}"
pds = "{url}"
query = "groningen"
actors = ["gemeentegroningen.bsky.social"]

[[sources]]
name = "bluesky-login"
kind = "bluesky"
url = "{url}"
pds = "{url}"
query = "binnenstad"
""")


def test_first_crawl_waits_out_a_429_then_the_second_stores_only_newer_posts(room, module_server):
    server = module_server
    server.serve(SESSION, answer("session.json"))
    server.serve(SEARCH, [
        Reply(status=429, body=b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}', content_type=JSON,
              headers={"Retry-After": "2"}),
        answer("search-1.json"),
        answer("search-2.json"),
    ])
    server.serve(FEED, answer("feed-gemeente.json"))
    server.serve(PROFILES, answer("profiles.json"))

    first = room.crawl("bluesky-stad", **LOGIN)

    # The search's five posts, and from the municipality's feed its own post and the original of a repost;
    # its other repost and its post already found by the search are the same posts.
    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (7, 7, 0), first
    login = requests_to(server, SESSION)[-1]
    assert login.method == "POST"
    assert json.loads(login.body) == {"identifier": "redactie-test.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    searches = requests_to(server, SEARCH)
    assert len(searches) == 3 and searches[1].at - searches[0].at >= 1.9  # the 429 waited out and retried
    assert searches[1].headers["Authorization"].startswith("Bearer eyJ0eXAiOiJhdCtqd3Qi")
    first_query = query(searches[1])
    assert (first_query["q"], first_query["lang"], first_query["sort"]) == (["groningen"], ["nl"], ["latest"])
    assert "cursor" not in first_query and query(searches[2])["cursor"] == ["25"]  # logged in: cursor paging
    assert query(requests_to(server, FEED)[0])["actor"] == ["gemeentegroningen.bsky.social"]

    stored = by_post_key(room.posts("bluesky-stad"))
    assert set(stored) == {"3m6aoyq3b4c2t", "3m6ao3kdz7k2e", "3m6ankqq7as2x", "3m6alf7y2ms2k", "3m6ak2ulpwc2a",
                           "3m6apbb4sgs2d", "3m6anz2ohfk2w"}
    gemeente = stored["3m6ankqq7as2x"]
    assert (gemeente["author"], gemeente["author_id"]) == ("Gemeente Groningen", "gemeentegroningen.bsky.social")
    assert gemeente["author_reach"] == 8120 and (gemeente["likes"], gemeente["reposts"], gemeente["replies"]) == (61, 22, 1)
    assert gemeente["extra"]["link"] == "https://gemeente.groningen.nl/afval"
    assert gemeente["image_url"].endswith("/bafkreiafvalkaart@jpeg")
    assert gemeente["published_at"] == datetime(2026, 11, 18, 8, 0, 1, tzinfo=timezone.utc) and gemeente["lang"] == "nl"
    reply = stored["3m6aoyq3b4c2t"]
    assert reply["parent_external_id"] == gemeente["external_id"]
    # The thread's root names a DID that is not itself on the public-role list: no link to it.
    assert reply["thread_url"] is None and reply["url"] is None
    assert reply["author"].startswith("inwoner-") and reply["author_reach"] == 264
    assert reply["text"].startswith("@gemeentegroningen.bsky.social Fijn!")  # public: kept
    assert reply["text"].endswith("Vraag het ook voor @" + reply["text"].rsplit("@", 1)[1])
    assert "@inwoner-" in reply["text"]  # @maritz.bsky.social pseudonymised
    quote = stored["3m6ao3kdz7k2e"]
    assert quote["parent_external_id"] == KEYED.hashed_id(f"at://{MARIT}/app.bsky.feed.post/3m6alf7y2ms2k")
    assert quote["extra"]["quote_of"] == quote["parent_external_id"] == stored["3m6alf7y2ms2k"]["external_id"]
    photo = stored["3m6alf7y2ms2k"]  # found by the search and reposted by the municipality: stored once
    # Marit is a private person: her DID (and so her handle) is in neither a link nor an id.
    assert photo["image_url"] is None and photo["url"] is None and photo["extra"]["tags"] == ["Groningen"]
    assert gemeente["url"] == f"https://bsky.app/profile/{GEMEENTE}/post/3m6ankqq7as2x"  # public: kept
    assert not [p for p in stored.values() if "did:plc" in json.dumps(p, default=str) and not p["author_public"]]
    assert not [p for p in stored.values() if "did:plc" in p["external_id"] + (p["parent_external_id"] or "")]
    assert stored["3m6anz2ohfk2w"]["author"].startswith("inwoner-")  # reposted: Marit's post, not the municipality's
    everything = stored_text(list(stored.values()))
    assert not [handle for handle in PRIVATE_HANDLES if handle in everything]
    state = room.state("bluesky-stad")["since"]
    assert state == {"q:groningen": "2026-11-18T09:21:07.640Z",
                     "actor:gemeentegroningen.bsky.social": "2026-11-18T10:00:00.000Z"}

    # Second crawl: since a margin before the newest post seen; the feed stops at the first known entry.
    server.serve(SEARCH, answer("search-nieuwer.json"))
    server.serve(FEED, answer("feed-gemeente-nieuwer.json"))

    second = room.crawl("bluesky-stad", **LOGIN)

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["duplicates"]) == (2, 1, 1), second
    assert query(requests_to(server, SEARCH)[-1])["since"] == ["2026-11-18T09:16:07.640Z"]
    assert len(requests_to(server, FEED)) == 2  # no next page: the feed reached what is known
    newest = by_post_key(room.posts("bluesky-stad"))["3m6asyx2rbk2h"]
    assert newest["author_reach"] == 77 and newest["text"].startswith("Kerstmarkt op de Vismarkt")


def test_a_refused_login_is_a_failed_run_with_its_reason(room, module_server):
    module_server.serve(SESSION, Reply(
        status=401, content_type=JSON,
        body=b'{"error":"AuthenticationRequired","message":"Invalid identifier or password"}',
    ))
    searches_before = len(requests_to(module_server, SEARCH))

    result = room.crawl("bluesky-login", **LOGIN)

    assert result["status"] == "failed", result
    assert "HTTP 401 Unauthorized from" in result["error"]
    assert "AuthenticationRequired: Invalid identifier or password" in result["error"]
    assert "NEWSROOM_BLUESKY_HANDLE and NEWSROOM_BLUESKY_APP_PASSWORD" in result["error"]
    assert "abcd-efgh" not in result["error"]
    assert len(requests_to(module_server, SEARCH)) == searches_before  # nothing read without the login


def test_post_views_become_posts():
    feed = fixture_json("bluesky", "feed-gemeente.json")["feed"]
    post = post_view_post(feed[0]["post"], "https://bsky.app")
    assert post["external_id"] == "at://did:plc:gm3ntegron1ngen2x7qk4abd/app.bsky.feed.post/3m6apbb4sgs2d"
    assert post["author_id"] == "gemeentegroningen.bsky.social" and post["parent_external_id"] is None
    future = {**feed[0]["post"], "record": {**feed[0]["post"]["record"], "createdAt": "2031-01-01T00:00:00Z"}}
    indexed = datetime(2026, 11, 18, 10, 0, 0, 900000, tzinfo=timezone.utc)
    assert post_view_post(future, "https://bsky.app")["published_at"] == indexed  # not the client's future clock
    assert post_view_post({**feed[0]["post"], "uri": None}, "https://bsky.app") is None


def test_recorded_bluesky_answers_become_posts(shared_testdata):
    """Real answers recorded by Bluesky client libraries (not committed: ../shared/testdata)."""
    views = []
    for path in sorted((shared_testdata / "social" / "bluesky").glob("*/extracted/*.json")):
        if path.name.endswith(".meta.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        views += data.get("posts") or []
        views += [item["post"] for item in data.get("feed") or [] if isinstance(item, dict)]
    assert len(views) > 20
    for view in views:
        post = post_view_post(view, "https://bsky.app")
        assert post is not None and post["published_at"].tzinfo is not None
        assert post["url"].startswith("https://bsky.app/profile/did:") and post["author_id"]
        if (view["record"].get("embed") or {}).get("$type") == "app.bsky.embed.record":
            assert post["parent_external_id"] == view["record"]["embed"]["record"]["uri"]

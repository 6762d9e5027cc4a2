"""Reddit: real crawls (`python -m crawlers.run`) against recorded-style answers on 127.0.0.1."""
from __future__ import annotations

import base64
import json
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

from crawlers.spiders.reddit import comment_post, submission_post, walk_comments

NEW = "/r/groningen/new.json"
USER_AGENT = "server:newsroom-groningen:1.0 (by u/gemeente_test)"
PRIVATE_HANDLES = ("anouk_stad", "jelmer_b", "fennap", "sietse_h", "marit_z")


def answer(name: str, headers: dict | None = None) -> Reply:
    limits = {"x-ratelimit-used": "3", "x-ratelimit-remaining": "97.0", "x-ratelimit-reset": "412"}
    return Reply(body=fixture("reddit", name), content_type=JSON, headers={**limits, **(headers or {})})


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url("")
    sources = f"""
[[sources]]
name = "reddit-stad"
kind = "reddit"
url = "{url}"
local = true
subreddits = ["r/groningen"]
search = ["groningen"]
user_agent = "{USER_AGENT}"
watch_comments = "36500d"   # the fixtures' threads are from November 2026, whenever the test runs

[[sources]]
name = "reddit-app"
kind = "reddit"
url = "{url}"
subreddits = ["groningen"]
token_url = "{url}/api/v1/access_token"
oauth_url = "{url}/oauth"
"""
    for name in ("verboden", "besloten", "bestaatniet"):
        sources += f'\n[[sources]]\nname = "reddit-{name}"\nkind = "reddit"\nurl = "{url}"\nsubreddits = ["{name}"]\n'
    return module_newsroom(WATCH + sources)


def test_first_crawl_waits_out_a_429_then_the_second_stores_only_newer_posts(room, module_server):
    server = module_server
    server.serve(NEW, [
        Reply(status=429, content_type=JSON, body=b'{"message": "Too Many Requests", "error": 429}',
              headers={"Retry-After": "2"}),
        answer("new-1.json"),
        answer("new-2.json"),
    ])
    server.serve("/search.json", answer("search.json"))
    server.serve("/comments/1p0f2k.json", answer("comments-1p0f2k.json"))
    server.serve("/comments/1p0c3a.json", answer("comments-1p0c3a.json"))

    first = room.crawl("reddit-stad")

    # Five submissions (one found twice: in r/groningen and by the search) and five comments of the two
    # threads that have any; a deleted comment is not a post.
    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (10, 10, 0), first
    listings = requests_to(server, NEW)
    assert len(listings) == 3 and listings[1].at - listings[0].at >= 1.9  # the 429 waited out and retried
    assert query(listings[2])["after"] == ["t3_1p0c3a"] and query(listings[1])["raw_json"] == ["1"]
    assert query(requests_to(server, "/search.json")[0])["sort"] == ["new"]
    assert all(r.headers["User-Agent"] == USER_AGENT for r in listings)
    assert not requests_to(server, "/api/info.json")  # every watched thread was on a listing

    stored = {p["external_id"]: p for p in room.posts("reddit-stad")}
    assert set(stored) == {"t3_1p0f2k", "t3_1p0e9x", "t3_1p0c3a", "t3_1ozx1b", "t3_1p0d77",
                           "t1_m8a1", "t1_m8a5", "t1_m8c9", "t1_m7z0", "t1_m7z4"}
    kliko = stored["t3_1p0f2k"]
    assert kliko["title"] == "Kliko's in de Zonnelaan al twee weken niet geleegd"
    assert kliko["text"].startswith("Onze groene kliko staat al twee weken vol.")
    assert "Ik zag dat @inwoner-" in kliko["text"]  # /u/jelmer_b, pseudonymised
    assert kliko["url"] == server.url("/r/groningen/comments/1p0f2k/klikos_in_de_zonnelaan_al_twee_weken_niet_geleegd/")
    assert (kliko["likes"], kliko["replies"]) == (37, 4) and kliko["extra"]["flair"] == "Klacht"
    assert kliko["published_at"] == datetime(2026, 11, 18, 9, 30, tzinfo=timezone.utc)
    assert kliko["author"].startswith("inwoner-") and kliko["author_public"] is False
    link = stored["t3_1p0e9x"]
    assert link["extra"]["link"] == "https://www.stadsblad.example/nieuws/2026/11/kerstmarkt-groningen"
    assert link["image_url"] == "https://external-preview.redd.it/kerstmarkt-groningen.jpeg?auto=webp&s=3f1a9c"
    assert stored["t3_1p0d77"]["extra"]["subreddit"] == "thenetherlands"
    reply = stored["t1_m8a5"]
    assert (reply["parent_external_id"], reply["title"]) == ("t1_m8a1", None)
    assert reply["thread_url"] == kliko["url"] and reply["url"] == kliko["url"] + "m8a5/"
    assert reply["text"] == "Dank je, ik ga het ook melden." and reply["extra"]["by_submitter"] is True
    assert stored["t1_m8a1"]["parent_external_id"] == "t3_1p0f2k" and stored["t1_m8a1"]["replies"] == 1
    everything = stored_text(list(stored.values()))
    assert not [handle for handle in PRIVATE_HANDLES if handle in everything]
    state = room.state("reddit-stad")
    assert state["newest"] == {"r/groningen": "t3_1p0f2k", "search:groningen": "t3_1p0f2k"}
    assert state["threads"]["t3_1p0f2k"]["comments"] == 4

    # Second crawl: the listings down to the newest known submission; the comments of threads whose count
    # grew (one of them off the listing, its count refreshed with /api/info.json). The listing says the
    # rate limit is used up for 2 s: nothing is asked before that.
    server.serve(NEW, answer("new-nieuwer.json", {"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "2"}))
    server.serve("/search.json", answer("search-nieuwer.json"))
    server.serve("/api/info.json", answer("info.json"))
    server.serve("/comments/1p0f2k.json", answer("comments-1p0f2k-nieuwer.json"))
    server.serve("/comments/1p0c3a.json", answer("comments-1p0c3a-nieuwer.json"))

    second = room.crawl("reddit-stad")

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["duplicates"]) == (4, 4, 0), second
    assert len(requests_to(server, NEW)) == 4  # no second page: the first reached the known submission
    info = requests_to(server, "/api/info.json")
    assert len(info) == 1 and query(info[0])["id"] == ["t3_1p0e9x,t3_1p0c3a,t3_1ozx1b"]
    later = info + requests_to(server, "/comments/1p0f2k.json")[1:] + requests_to(server, "/comments/1p0c3a.json")[1:]
    assert len(later) == 3 and min(r.at for r in later) - requests_to(server, NEW)[-1].at >= 1.9
    new_ids = {p["external_id"] for p in room.posts("reddit-stad")} - set(stored)
    assert new_ids == {"t3_1p0h4n", "t1_m9y4", "t1_m9x1", "t1_m9z2"}
    assert room.state("reddit-stad")["threads"]["t3_1p0c3a"]["comments"] == 3


@pytest.mark.parametrize("name, reply, reason", [
    ("verboden", Reply(status=404, content_type=JSON, body=b'{"reason": "banned", "message": "Not Found", "error": 404}'),
     "HTTP 404 Not Found from {url}/r/verboden/new.json?limit=100&raw_json=1: Not Found: banned "
     "(r/verboden has been banned by Reddit)"),
    ("besloten", Reply(status=403, content_type=JSON, body=b'{"reason": "private", "message": "Forbidden", "error": 403}'),
     "r/besloten is private: only its approved members can read it"),
    ("bestaatniet", Reply(status=302, content_type=None,
                          headers={"Location": "https://www.reddit.com/subreddits/search.json?q=bestaatniet"}),
     "r/bestaatniet cannot be read from {url}/r/bestaatniet/new.json?limit=100&raw_json=1: it does not exist"),
])
def test_a_banned_private_or_missing_subreddit_is_a_failed_run_with_its_reason(room, module_server, name, reply, reason):
    module_server.serve(f"/r/{name}/new.json", reply)

    result = room.crawl(f"reddit-{name}")

    assert result["status"] == "failed", result
    assert reason.format(url=module_server.url("")) in result["error"]
    assert not requests_to(module_server, "/subreddits/search.json")  # the redirect is not followed


def test_a_refused_app_login_is_a_failed_run_with_its_reason(room, module_server):
    module_server.serve("/api/v1/access_token", Reply(status=401, content_type=JSON,
                                                      body=b'{"message": "Unauthorized", "error": 401}'))

    result = room.crawl("reddit-app", NEWSROOM_REDDIT_CLIENT_ID="app-id-42", NEWSROOM_REDDIT_CLIENT_SECRET="geheim-99")

    assert result["status"] == "failed", result
    assert "HTTP 401 Unauthorized from" in result["error"] and "Unauthorized" in result["error"]
    assert "check NEWSROOM_REDDIT_CLIENT_ID and NEWSROOM_REDDIT_CLIENT_SECRET" in result["error"]
    assert "geheim-99" not in result["error"]
    token = requests_to(module_server, "/api/v1/access_token")[0]
    assert token.method == "POST" and token.body == b"grant_type=client_credentials"
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"app-id-42:geheim-99").decode()
    assert not requests_to(module_server, "/oauth/r/groningen/new.json")


def test_comment_trees_become_posts():
    thread = fixture_json("reddit", "comments-1p0f2k-nieuwer.json")
    comments = list(walk_comments(thread[1]["data"]["children"]))
    assert [c["id"] for c in comments] == ["m9y4", "m8a1", "m8a5", "m8b2", "m8c9", "m9x1"]  # depth first; no "more"
    thread_url = "https://www.reddit.com/r/groningen/comments/1p0f2k/"
    posts = [comment_post(c, "https://www.reddit.com", thread_url) for c in comments]
    assert posts[3] is None  # [deleted]
    assert posts[5]["text"] == "De gemeente zegt: woensdag wordt alles geleegd."  # markdown rendered, then text
    assert posts[5]["parent_external_id"] == "t1_m8c9"


def test_recorded_reddit_answers_become_posts(shared_testdata):
    """Real answers recorded by Reddit clients (not committed: ../shared/testdata)."""
    things = []
    for path in sorted((shared_testdata / "social" / "reddit").glob("*/extracted/*.json")):
        if path.name.endswith(".meta.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for listing in data if isinstance(data, list) else [data]:
            children = (listing.get("data") or {}).get("children") or [] if isinstance(listing, dict) else []
            things += [c for c in children if isinstance(c, dict)]
    submissions = [c["data"] for c in things if c.get("kind") == "t3"]
    comments = list(walk_comments([c for c in things if c.get("kind") == "t1"]))
    assert len(submissions) > 20 and len(comments) > 5
    for thing in submissions:
        post = submission_post(thing, "https://www.reddit.com")
        assert post["external_id"].startswith("t3_") and post["published_at"].tzinfo is not None and post["title"]
    for comment in comments:
        post = comment_post(comment, "https://www.reddit.com", "https://www.reddit.com/r/x/comments/y/")
        if post is not None:
            assert post["parent_external_id"][:3] in ("t1_", "t3_") and "<p>" not in post["text"]

"""X (API v2): real crawls (`python -m crawlers.run`) against answers on 127.0.0.1."""
from __future__ import annotations

import json
import time

import pytest
from localserver import Reply
from platforms import JSON, WATCH, query, requests_to, stored_text
from sqlalchemy import select

from core.store.schema import sources
from core.store.sources import source_health
from crawlers.spiders.x import Expansions, default_query, tweet_post

SEARCH = "/2/tweets/search/recent"
GEMEENTE = "2220001"
TIMELINE = f"/2/users/{GEMEENTE}/tweets"
TOKEN = {"NEWSROOM_X_TOKEN": "AAAA-bearer-123"}
USERS = [
    {"id": GEMEENTE, "name": "Gemeente Groningen", "username": "gemeentegroningen", "public_metrics": {"followers_count": 61000}},
    {"id": "3330001", "name": "Sietse Hoekstra", "username": "sietse_h", "public_metrics": {"followers_count": 210}},
    {"id": "3330002", "name": "Anouk Veenstra", "username": "anouk050", "public_metrics": {"followers_count": 95}},
]


def answer(data, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(body=json.dumps(data).encode(), status=status, content_type=JSON, headers=headers or {})


def tweet(tweet_id: str, author: str, text: str, when: str, conversation: str | None = None, **extra) -> dict:
    return {"id": tweet_id, "author_id": author, "text": text, "created_at": when, "lang": "nl",
            "conversation_id": conversation or tweet_id,
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 4, "quote_count": 1}, **extra}


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url()
    return module_newsroom(WATCH + f"""
[[sources]]
name = "x-stad"
kind = "x"
url = "{url}"
accounts = ["gemeentegroningen"]
watch_replies = "3650d"
monthly_reads = 1000000

[[sources]]
name = "x-krap"
kind = "x"
url = "{url}"
query = "Groningen"
monthly_reads = 5
""")


def test_search_timeline_and_replies_then_only_newer_posts(room, module_server):
    server = module_server
    reset = str(int(time.time()) + 1)
    first_page = {
        "data": [
            tweet("1860000000000000005", "3330001", "De fietsenstalling bij het station in Groningen is weer vol &amp; "
                  "rommelig", "2026-11-20T08:00:00.000Z", attachments={"media_keys": ["3_1"]}),
            tweet("1860000000000000004", "3330002", "RT @sietse_h: Stad", "2026-11-20T07:59:00.000Z",
                  referenced_tweets=[{"type": "retweeted", "id": "1860000000000000001"}]),
        ],
        "includes": {"users": USERS, "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"}],
                     "tweets": [tweet("1860000000000000001", "3330001", "Wat is het mooi in de Stad vandaag",
                                      "2026-11-19T12:00:00.000Z")]},
        "meta": {"newest_id": "1860000000000000005", "oldest_id": "1860000000000000004", "result_count": 2,
                 "next_token": "b26v89c19zqg8o3f"},
    }
    second_page = {"data": [tweet("1860000000000000002", "3330002", "Parkeren in Groningen wordt duurder",
                                  "2026-11-19T13:00:00.000Z")],
                   "includes": {"users": USERS}, "meta": {"result_count": 1}}
    replies = {"data": [tweet("1860000000000000009", "3330002", "@gemeentegroningen Fijn, dank voor de uitleg",
                              "2026-11-20T10:00:00.000Z", conversation="1860000000000000006",
                              referenced_tweets=[{"type": "replied_to", "id": "1860000000000000006"}])],
               "includes": {"users": USERS}, "meta": {"result_count": 1}}
    server.serve(SEARCH, [
        answer({"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}, 429,
               {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}),
        answer(first_page), answer(second_page), answer(replies),
    ])
    server.serve("/2/users/by", answer({"data": USERS[:1]}))
    server.serve(TIMELINE, answer({
        "data": [tweet("1860000000000000006", GEMEENTE, "Vanaf maandag is de Grote Markt in Groningen autovrij.",
                       "2026-11-20T09:00:00.000Z")],
        "includes": {"users": USERS[:1]}, "meta": {"result_count": 1},
    }))

    first = room.crawl("x-stad", **TOKEN)

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (5, 5, 0), first
    searches = requests_to(server, SEARCH)
    assert len(searches) == 4 and searches[1].at - searches[0].at >= 0.9  # waited for the reset
    assert query(searches[1])["query"] == ['(Groningen OR Stad OR #groningen) lang:nl -is:retweet']
    assert query(searches[2])["next_token"] == ["b26v89c19zqg8o3f"]
    assert query(searches[3])["query"] == ["conversation_id:1860000000000000006"]
    assert "author_id" in query(searches[1])["expansions"][0]
    assert all(r.headers.get("Authorization") == "Bearer AAAA-bearer-123" for r in server.requests if r.path.startswith("/2/"))

    stored = {p["external_id"]: p for p in room.posts("x-stad")}
    assert set(stored) == {"1860000000000000005", "1860000000000000001", "1860000000000000002",
                           "1860000000000000006", "1860000000000000009"}  # the retweet is its original
    bike = stored["1860000000000000005"]
    assert bike["text"].endswith("vol & rommelig") and bike["image_url"] == "https://pbs.twimg.com/media/a.jpg"
    assert bike["url"] == "https://x.com/i/status/1860000000000000005"
    assert (bike["likes"], bike["reposts"], bike["author_reach"]) == (4, 2, 210)
    assert bike["author"].startswith("inwoner-")
    gemeente = stored["1860000000000000006"]
    assert gemeente["author"] == "Gemeente Groningen" and gemeente["author_public"] is True
    assert stored["1860000000000000009"]["parent_external_id"] == "1860000000000000006"
    everything = stored_text(list(stored.values()))
    assert not [v for v in ("sietse_h", "Sietse Hoekstra", "anouk050", "Anouk Veenstra") if v in everything]
    state = room.state("x-stad")
    assert state["newest"]["user:gemeentegroningen"] == "1860000000000000006"
    assert state["budget"]["used"] == 6 and state["budget"]["unit"] == "posts"

    # Second crawl: since_id everywhere; only the newer post is new.
    server.serve(SEARCH, [answer({"data": [tweet("1860000000000000010", "3330001", "Groningen: de Stad is vol vandaag",
                                                 "2026-11-21T08:00:00.000Z")], "includes": {"users": USERS},
                                  "meta": {"result_count": 1}}),
                          answer({"meta": {"result_count": 0}})])
    server.serve(TIMELINE, answer({"meta": {"result_count": 0}}))
    second = room.crawl("x-stad", **TOKEN)

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"]) == (1, 1), second
    later = requests_to(server, SEARCH)[4:]
    assert query(later[0])["since_id"] == ["1860000000000000005"]
    assert query(later[1])["since_id"] == ["1860000000000000009"]  # the conversation's newest reply
    assert query(requests_to(server, TIMELINE)[-1])["since_id"] == ["1860000000000000006"]
    assert len(requests_to(server, "/2/users/by")) == 1  # the account's id is remembered


def test_the_monthly_budget_is_spent_evenly_and_shown_in_source_health(room, module_server):
    before = len(requests_to(module_server, SEARCH))

    result = room.crawl("x-krap", **TOKEN)

    assert result["status"] == "ok" and result["fetched"] == 0, result
    assert len(requests_to(module_server, SEARCH)) == before  # not one request beyond the even share
    assert "X-leesbudget" in room.runs("x-krap")[-1]["error"]
    with room.engine.connect() as conn:
        health = {s["name"]: s for s in source_health(conn)}
        assert conn.execute(select(sources.c.state).where(sources.c.name == "x-krap")).scalar_one()["budget"]
    budget = health["x-krap"]["budget"]
    assert (budget["limit"], budget["used"], budget["remaining"]) == (5, 0, 5)


def test_a_revoked_bearer_token_is_a_failed_run_saying_so(room, module_server):
    module_server.serve(SEARCH, answer({"title": "Unauthorized", "type": "about:blank", "status": 401,
                                        "detail": "Unauthorized"}, 401))
    result = room.crawl("x-stad", **TOKEN)
    assert result["status"] == "failed", result
    assert result["error"].startswith("token verlopen of ingetrokken: HTTP 401 Unauthorized")
    assert "NEWSROOM_X_TOKEN" in result["error"] and "AAAA-bearer-123" not in result["error"]


def test_recorded_x_answers_become_posts(shared_testdata):
    """Real X API v2 answers (academictwitter, tweepy; not committed: ../shared/testdata)."""
    folder = shared_testdata / "social" / "x" / "academictwitter"
    for name in ("users_tweets_p1.json", "users_tweets_p2.json", "search_all_de_berlin.json"):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        found = Expansions(data.get("includes") or {})
        posts = [tweet_post(t, found) for t in data["data"]]
        kept = [p for p in posts if p is not None]
        assert len(kept) >= len(posts) * 0.6, name  # retweets whose original is not included are dropped
        for post in kept:
            assert post["published_at"].tzinfo is not None and post["url"].startswith("https://x.com/i/status/")
            assert "&amp;" not in post["text"] and post["author_id"]
    replies = [p for p in kept if p["parent_external_id"]]
    assert replies and all(p["parent_external_id"].isdigit() for p in replies)
    assert default_query(["Groningen", "Grote Markt"]) == '(Groningen OR "Grote Markt")'

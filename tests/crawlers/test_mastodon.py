"""Mastodon: real crawls (`python -m crawlers.run`) against recorded-style answers on 127.0.0.1."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

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

from crawlers.spiders.mastodon import status_post

TAG = "/api/v1/timelines/tag/groningen"
GEMEENTE_ID = "109311000000000001"
ACCOUNT_STATUSES = f"/api/v1/accounts/{GEMEENTE_ID}/statuses"
PRIVATE_HANDLES = ("anouk_stad", "jelmer", "fennap", "sietse_h", "parkeerbot", "Anouk de Vries", "Jelmer Bakker")


def page(name: str, link: str = "", headers: dict | None = None) -> Reply:
    extra = {"Link": link} if link else {}
    return Reply(body=fixture("mastodon", name), content_type=JSON, headers={**extra, **(headers or {})})


def empty(body: bytes = b"[]") -> Reply:
    return Reply(body=body, content_type=JSON)


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url()
    return module_newsroom(WATCH + f"""
[[sources]]
name = "mastodon-stad"
kind = "mastodon"
url = "{url}"
hashtags = ["#groningen"]
accounts = ["gemeentegroningen"]
search = ["Grote Markt"]

[[sources]]
name = "mastodon-druk"
kind = "mastodon"
url = "{url}"
hashtags = ["druk"]

[[sources]]
name = "mastodon-besloten"
kind = "mastodon"
url = "{url}"
hashtags = ["besloten"]
""")


def test_first_crawl_waits_out_a_429_then_the_second_stores_only_newer_posts(room, module_server):
    server = module_server
    server.serve(TAG, [
        Reply(status=429, body=b'{"error":"Too many requests"}', content_type=JSON, headers={"Retry-After": "2"}),
        page("tag-groningen-1.json", f'<{server.url(TAG)}?max_id=115563420000000003>; rel="next", '
                                     f'<{server.url(TAG)}?min_id=115567310000000004>; rel="prev"'),
        page("tag-groningen-2.json", f'<{server.url(TAG)}?max_id=115561210000000001>; rel="next"'),
        empty(),
    ])
    server.serve("/api/v1/accounts/lookup", page("account-gemeente.json"))
    server.serve(ACCOUNT_STATUSES, page("account-gemeente-statuses.json"))
    server.serve("/api/v2/search", page("search-grote-markt.json"))

    first = room.crawl("mastodon-stad")

    # Seven posts: the tag's five, the original of a boost, a search hit; a boost of one of the tag's
    # posts and the municipality's own post on its timeline are the same posts. One is not about the city.
    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["filtered"], first["errors"]) == (7, 6, 1, 0), first
    tag_requests = requests_to(server, TAG)
    assert len(tag_requests) == 4 and tag_requests[1].at - tag_requests[0].at >= 1.9  # 429: waited, retried
    assert query(tag_requests[2])["max_id"] == ["115563420000000003"]  # the Link header's rel="next"
    assert query(requests_to(server, "/api/v1/accounts/lookup")[0])["acct"] == ["gemeentegroningen"]
    assert query(requests_to(server, "/api/v2/search")[0])["type"] == ["statuses"]

    stored = {p["external_id"]: p for p in room.posts("mastodon-stad")}
    assert set(stored) == {
        "115567000000000005", "115567310000000004", "115563420000000003", "115561210000000001",
        "115565550000000006", "115566120000000007",
    }
    gemeente = stored["115567000000000005"]
    assert gemeente["author"] == "Gemeente Groningen" and gemeente["author_id"] == "gemeentegroningen"
    assert gemeente["author_public"] is True and gemeente["author_reach"] == 14230
    assert (gemeente["likes"], gemeente["reposts"], gemeente["replies"]) == (58, 31, 4)
    assert gemeente["text"] == (
        "Goed nieuws voor Paddepoel en Selwerd: vanaf maandag 24 november halen we het gft-afval weer op de "
        "gewone dag op. Meer informatie: https://gemeente.groningen.nl/afval\n#groningen #afval"
    )
    assert gemeente["image_url"].startswith("https://files.stad.example/media_attachments/")
    assert gemeente["url"] == server.url("/statuses/115567000000000005")
    assert gemeente["published_at"] == datetime(2026, 11, 18, 8, 0, tzinfo=timezone.utc)
    assert gemeente["lang"] == "nl" and gemeente["extra"]["link"] == "https://gemeente.groningen.nl/afval"

    reply = stored["115567310000000004"]  # boosted by the municipality too: stored once, as Anouk's post
    assert reply["parent_external_id"] == "115567000000000005"
    assert reply["author"].startswith("inwoner-") and reply["author_id"] == reply["author"]
    assert reply["text"] == ("@gemeentegroningen Eindelijk! Onze kliko in de Zonnelaan staat al twee weken vol & stinkt.\n"
                             "Wie in de Stad heeft hier nog meer last van? #groningen")
    boosted = stored["115565550000000006"]  # known only through a boost: the original author, not the booster
    assert boosted["author"].startswith("inwoner-") and boosted["likes"] == 40
    warning = stored["115563420000000003"]
    assert warning["text"].startswith("Parkeren, gezeur\nDrie weken wachten op een parkeervergunning")
    assert "@inwoner-" in warning["text"]  # @anouk_stad mentioned
    assert stored["115561210000000001"]["lang"] == "en"
    assert stored["115566120000000007"]["text"].endswith("- Kerstmarkt\n- Schaatsbaan Vismarkt")  # the poll
    everything = stored_text(list(stored.values()))
    assert not [handle for handle in PRIVATE_HANDLES if handle in everything]
    assert "<p>" not in everything and "&amp;" not in everything
    assert room.state("mastodon-stad")["newest"] == {
        "tag:groningen": "115567310000000004", "account:gemeentegroningen": "115567400000000104",
        "search:Grote Markt": "115566120000000007",
    }

    # Second crawl: only what came after the newest status seen, paging forward along rel="prev".
    server.serve(TAG, [
        page("tag-groningen-nieuwer.json", f'<{server.url(TAG)}?min_id=115570990000000009>; rel="prev"'),
        empty(),
    ])
    server.serve(ACCOUNT_STATUSES, empty())
    server.serve("/api/v2/search", empty(b'{"accounts":[],"statuses":[],"hashtags":[]}'))
    before = len(server.requests)

    second = room.crawl("mastodon-stad")

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["duplicates"]) == (2, 2, 0), second
    tag_requests = requests_to(server, TAG)[-2:]
    assert query(tag_requests[0])["min_id"] == ["115567310000000004"]
    assert query(tag_requests[1])["min_id"] == ["115570990000000009"]
    assert query(requests_to(server, ACCOUNT_STATUSES)[-1])["min_id"] == ["115567400000000104"]
    assert query(requests_to(server, "/api/v2/search")[-1])["min_id"] == ["115566120000000007"]
    assert not requests_to(server, "/api/v1/accounts/lookup")[1:]  # the account's id is remembered
    assert all("Authorization" not in r.headers for r in server.requests[before:])  # no token configured
    bot = next(p for p in room.posts("mastodon-stad") if p["external_id"] == "115570120000000008")
    assert bot["extra"]["bot"] is True
    assert room.state("mastodon-stad")["newest"]["tag:groningen"] == "115570990000000009"


def test_a_used_up_rate_limit_is_not_hammered(room, module_server):
    # X-RateLimit-Reset as Mastodon writes it: the moment the budget is back, an hour from now.
    reset = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    module_server.serve("/api/v1/timelines/tag/druk", page(
        "tag-druk.json", f'<{module_server.url("/api/v1/timelines/tag/druk")}?max_id=115571000000000011>; rel="next"',
        headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    ))

    result = room.crawl("mastodon-druk")

    assert result["status"] == "failed" and result["new"] == 1, result
    assert "rate limit of 127.0.0.1" in result["error"] and "longer than the 120 s we wait" in result["error"]
    assert len(requests_to(module_server, "/api/v1/timelines/tag/druk")) == 1  # the next page was not asked for
    assert "newest" not in room.state("mastodon-druk")  # a failed run keeps no state: next time from the top


def test_an_invalid_token_is_a_failed_run_with_its_reason(room, module_server):
    module_server.serve("/api/v1/timelines/tag/besloten", Reply(
        status=401, body=b'{"error":"The access token is invalid"}', content_type=JSON,
    ))

    result = room.crawl("mastodon-besloten", NEWSROOM_MASTODON_TOKEN="verlopen-token-123")

    assert result["status"] == "failed", result
    assert "HTTP 401 Unauthorized from" in result["error"]
    assert "The access token is invalid" in result["error"] and "NEWSROOM_MASTODON_TOKEN" in result["error"]
    assert "verlopen-token-123" not in result["error"]
    sent = requests_to(module_server, "/api/v1/timelines/tag/besloten")
    assert len(sent) == 1 and sent[0].headers["Authorization"] == "Bearer verlopen-token-123"
    assert room.runs("mastodon-besloten")[-1]["error"] == result["error"]


def test_statuses_become_posts():
    statuses = fixture_json("mastodon", "account-gemeente-statuses.json")
    boost = status_post(statuses[0], "https://toot.stad.example")
    assert boost["external_id"] == statuses[0]["reblog"]["id"] == "115567310000000004"
    assert boost["author_id"] == "anouk_stad"  # pseudonymised at ingest, not here
    assert status_post({**statuses[1], "visibility": "private"}, "https://toot.stad.example") is None
    assert status_post({**statuses[1], "created_at": None}, "https://toot.stad.example") is None


def test_recorded_mastodon_answers_become_posts(shared_testdata):
    """Real answers recorded by Mastodon client libraries (not committed: ../shared/testdata)."""
    folder = shared_testdata / "social" / "mastodon"
    statuses = []
    for path in sorted(folder.glob("*/extracted/*.json")):
        if path.name.endswith(".meta.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        candidates = data if isinstance(data, list) else data.get("statuses") or [data]
        statuses += [s for s in candidates if isinstance(s, dict) and "content" in s and "account" in s]
    assert len(statuses) > 20
    posts = [status_post(s, "https://mastodon.example") for s in statuses]
    assert sum(p is not None for p in posts) >= len(statuses) * 0.9
    for status, post in zip(statuses, posts):
        if post is None:
            continue
        assert post["published_at"].tzinfo is not None and not re.search(r"</?(p|a|span|br)\b", post["text"])
        assert post["author_id"] and post["url"].startswith("https://mastodon.example/statuses/")
        if status.get("reblog"):
            assert post["external_id"] == str(status["reblog"]["id"])

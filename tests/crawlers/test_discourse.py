"""Discourse: real crawls (`python -m crawlers.run`) against recorded-style answers on 127.0.0.1."""
from __future__ import annotations

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

from crawlers.spiders.discourse import discourse_post

PRIVATE_HANDLES = ("anouk_stad", "jelmer_b", "fennap", "sietse_h", "Anouk de Vries", "Jelmer Bakker", "Marit Zijlstra")


def answer(name: str) -> Reply:
    return Reply(body=fixture("discourse", name), content_type=JSON)


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    return module_newsroom(WATCH + f"""
[[sources]]
name = "wijkforum"
kind = "discourse"
url = "{module_server.url()}/"
local = true

[[sources]]
name = "wijkforum-besloten"
kind = "discourse"
url = "{module_server.url('/besloten')}"
api_key_env = "WIJKFORUM_API_KEY"
api_username = "newsroom"
""")


def test_first_crawl_waits_out_a_429_then_the_second_stores_only_newer_posts(room, module_server):
    server = module_server
    server.serve("/latest.json", [
        Reply(status=429, content_type=JSON, headers={"Retry-After": "2"},
              body=b'{"errors":["You\'ve performed this action too many times. Please wait 2 seconds before trying again."],'
                   b'"error_type":"rate_limit","extras":{"wait_seconds":2}}'),
        answer("latest.json"),
        answer("latest-page-1.json"),
    ])
    for topic in (12, 341, 298, 250):
        server.serve(f"/t/{topic}.json", answer(f"t-{topic}.json"))
    server.serve("/t/298/posts.json", answer("t-298-posts.json"))

    first = room.crawl("wijkforum")

    # The pinned welcome, 3 + 24 posts of two topics (a moderator's "closed" line is not a post), and a
    # topic on the second page of /latest.json.
    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (30, 30, 0), first
    latest = requests_to(server, "/latest.json")
    assert len(latest) == 3 and latest[1].at - latest[0].at >= 1.9  # the 429 waited out and retried
    assert query(latest[2])["page"] == ["1"]
    batch = requests_to(server, "/t/298/posts.json")
    assert len(batch) == 1 and query(batch[0])["post_ids[]"] == ["1820", "1821", "1822", "1823", "1824"]

    stored = {p["external_id"]: p for p in room.posts("wijkforum")}
    assert len(stored) == 30 and "298/25" not in stored
    opener = stored["341/1"]
    assert opener["title"] == "Kliko's niet geleegd in de Zonnelaan"
    assert opener["url"] == server.url("/t/klikos-niet-geleegd-in-de-zonnelaan/341/1")
    assert opener["thread_url"] == server.url("/t/klikos-niet-geleegd-in-de-zonnelaan/341")
    assert opener["text"] == "Onze groene kliko in de Zonnelaan is al twee weken niet geleegd. Wie heeft dit ook?"
    assert opener["image_url"] == server.url("/uploads/default/optimized/2X/a/a1b2c3d4e5_2_690x517.jpeg")
    assert opener["published_at"] == datetime(2026, 11, 17, 19, 12, 44, 310000, tzinfo=timezone.utc)
    assert (opener["likes"], opener["replies"]) == (6, 2) and opener["author"].startswith("inwoner-")
    answer_ = stored["341/2"]
    assert (answer_["author"], answer_["author_public"]) == ("Gemeente Groningen", True)
    assert answer_["parent_external_id"] == "341/1"
    assert answer_["title"] is None and answer_["extra"]["topic_title"] == "Kliko's niet geleegd in de Zonnelaan"
    quoting = stored["341/3"]  # the quoted words are Anouk's, not Jelmer's: left out
    assert quoting["text"].startswith("Bij ons in de Stad precies hetzelfde. @inwoner-")
    assert "al twee weken" not in quoting["text"] and quoting["image_url"] is None  # an emoji is no picture
    assert stored["298/2"]["text"] == (  # the link preview (onebox) left out
        "Er is een pagina over parkeren in Groningen, misschien staat daar iets over vergunningen voor bewoners.")
    assert stored["298/24"]["text"] == "Laten we het in december met de wijkraad bespreken."
    everything = stored_text(list(stored.values()))
    assert not [handle for handle in PRIVATE_HANDLES if handle in everything]
    topics = room.state("wijkforum")["topics"]
    assert topics["341"] == {"n": 3, "id": 2105} and topics["298"] == {"n": 25, "id": 1824}

    # Second crawl: one topic has a new post; the others are unchanged and not read again.
    server.serve("/latest.json", answer("latest-nieuwer.json"))
    server.serve("/t/341.json", answer("t-341-nieuwer.json"))
    topic_reads = {topic: len(requests_to(server, f"/t/{topic}.json")) for topic in (12, 298, 250)}

    second = room.crawl("wijkforum")

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["duplicates"]) == (1, 1, 0), second
    assert {topic: len(requests_to(server, f"/t/{topic}.json")) for topic in topic_reads} == topic_reads
    assert len(requests_to(server, "/latest.json")) == 4  # the first page's oldest topic was unchanged
    newest = room.posts("wijkforum")[-1]
    assert newest["external_id"] == "341/4" and newest["parent_external_id"] == "341/2"
    assert room.state("wijkforum")["topics"]["341"] == {"n": 4, "id": 2110}


def test_a_refused_api_key_is_a_failed_run_with_its_reason(room, module_server):
    module_server.serve("/besloten/latest.json", Reply(
        status=401, content_type=JSON,
        body=b'{"errors":["You are not permitted to view the requested resource. The API username or key is invalid."],'
             b'"error_type":"invalid_access"}',
    ))

    result = room.crawl("wijkforum-besloten", WIJKFORUM_API_KEY="sleutel-0123456789abcdef")

    assert result["status"] == "failed", result
    assert "HTTP 401 Unauthorized from" in result["error"]
    assert "The API username or key is invalid" in result["error"] and "WIJKFORUM_API_KEY" in result["error"]
    assert "sleutel-0123" not in result["error"]
    sent = requests_to(module_server, "/besloten/latest.json")[0].headers
    assert (sent["Api-Key"], sent["Api-Username"]) == ("sleutel-0123456789abcdef", "newsroom")


def test_system_lines_and_deleted_posts_are_not_posts():
    posts = fixture_json("discourse", "t-298-posts.json")["post_stream"]["posts"]
    topic = {"id": "298", "title": "Parkeren", "slug": "parkeren", "category_id": 6}
    assert discourse_post(posts[-1], topic, "https://forum.example") is None  # post_type 3: "closed"
    assert discourse_post({**posts[0], "deleted_at": "2026-11-18T10:00:00Z"}, topic, "https://forum.example") is None
    assert discourse_post(posts[0], topic, "https://forum.example")["external_id"] == "298/21"


def test_recorded_discourse_answers_become_posts(shared_testdata):
    """Real answers recorded from Discourse forums (not committed: ../shared/testdata)."""
    found = 0
    for path in sorted((shared_testdata / "social" / "discourse").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        stream = data.get("post_stream") if isinstance(data, dict) else None
        if not stream:
            continue
        topic = {"id": str(data.get("id") or "1"), "title": data.get("title"), "slug": data.get("slug") or "t",
                 "category_id": data.get("category_id")}
        for raw in stream.get("posts") or []:
            post = discourse_post(raw, topic, "https://forum.example")
            if raw.get("post_type", 1) == 1 and not raw.get("deleted_at") and not raw.get("hidden"):
                assert post is not None and post["published_at"].tzinfo is not None
                assert "<p>" not in post["text"] and post["author_id"] == raw["username"]
                found += 1
    assert found > 20

"""Instagram (Graph API): real crawls (`python -m crawlers.run`) against answers on 127.0.0.1."""
from __future__ import annotations

import json

import pytest
from localserver import Reply
from platforms import JSON, WATCH, query, requests_to, stored_text

from core.config.watch import ConfigError, parse_config
from crawlers.spiders.instagram import comment_post, media_post

V = "/v21.0"
ACCOUNT = "17841400000000001"
TOKEN = {"NEWSROOM_INSTAGRAM_TOKEN": "EAAG-ig-token"}


def answer(data, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(body=json.dumps(data).encode(), status=status, content_type=JSON, headers=headers or {})


def medium(media_id: str, caption: str, when: str | None, comments: int = 0) -> dict:
    item = {"id": media_id, "caption": caption, "media_type": "IMAGE", "media_url": f"https://cdn.example/{media_id}.jpg",
            "permalink": f"https://www.instagram.com/p/{media_id}/", "like_count": 120, "comments_count": comments}
    if when:
        item["timestamp"] = when
    return item


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url()
    return module_newsroom(WATCH + f"""
[[sources]]
name = "instagram-gemeente"
kind = "instagram"
url = "{url}"
account = "{ACCOUNT}"
hashtags = ["#groningen"]
watch_comments = "3650d"
""")


def test_media_comments_and_hashtags_then_only_newer_items(room, module_server):
    server = module_server
    server.serve(f"{V}/{ACCOUNT}", answer({"id": ACCOUNT, "username": "gemeentegroningen", "name": "Gemeente Groningen",
                                           "followers_count": 23000}))
    server.serve(f"{V}/{ACCOUNT}/media", [
        answer({"data": [medium("m2", "De Vismarkt in Groningen wordt groener 🌳", "2026-11-20T09:00:00+0000", 2)],
                "paging": {"cursors": {"after": "A"}, "next": server.url(f"{V}/{ACCOUNT}/media?after=A")}},
               headers={"x-app-usage": '{"call_count": 12, "total_time": 5, "total_cputime": 4}'}),
        answer({"data": [medium("m1", "Foto van de week uit de Stad", "2026-11-18T09:00:00+0000")], "paging": {}}),
    ])
    server.serve(f"{V}/m2/comments", answer({"data": [
        {"id": "c1", "text": "Mooi! Eindelijk meer groen", "timestamp": "2026-11-20T10:00:00+0000", "like_count": 3,
         "username": "fleur_050", "replies": {"data": [
             {"id": "c1r1", "text": "@fleur_050 Helemaal mee eens", "timestamp": "2026-11-20T10:05:00+0000",
              "username": "gemeentegroningen"}]}},
    ]}))
    server.serve(f"{V}/m1/comments", answer({"data": []}))
    server.serve(f"{V}/ig_hashtag_search", answer({"data": [{"id": "17843826142012701"}]}))
    server.serve(f"{V}/17843826142012701/recent_media", answer({"data": [
        medium("h1", "Zonsondergang boven de Martinitoren #groningen", "2026-11-20T17:00:00+0000", 5),
    ]}))

    first = room.crawl("instagram-gemeente", **TOKEN)

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (5, 5, 0), first
    assert query(requests_to(server, f"{V}/ig_hashtag_search")[0]) == {"user_id": [ACCOUNT], "q": ["groningen"]}
    assert query(requests_to(server, f"{V}/{ACCOUNT}/media")[1])["after"] == ["A"]
    stored = {p["external_id"]: p for p in room.posts("instagram-gemeente")}
    assert set(stored) == {"m1", "m2", "c1", "c1r1", "h1"}
    assert stored["m2"]["author"] == "Gemeente Groningen" and stored["m2"]["author_reach"] == 23000
    assert (stored["m2"]["likes"], stored["m2"]["replies"]) == (120, 2)
    assert stored["c1"]["parent_external_id"] == "m2" and stored["c1r1"]["parent_external_id"] == "c1"
    assert stored["c1"]["author"].startswith("inwoner-") and stored["c1r1"]["author_public"] is True
    assert stored["h1"]["author"] is None  # hashtag results do not say who posted them
    assert "fleur_050" not in stored_text(list(stored.values()))
    assert room.state("instagram-gemeente")["hashtag_ids"]["groningen"]["id"] == "17843826142012701"

    # Second crawl: the hashtag's id is known (no search counts against the 30 a week); only newer media.
    server.serve(f"{V}/{ACCOUNT}/media", answer({"data": [
        medium("m3", "Groningen: de kerstmarkt opent vrijdag", "2026-11-21T09:00:00+0000"),
        medium("m2", "De Vismarkt in Groningen wordt groener 🌳", "2026-11-20T09:00:00+0000", 2),
    ], "paging": {"next": server.url(f"{V}/{ACCOUNT}/media?after=B")}}))
    server.serve(f"{V}/17843826142012701/recent_media", answer({"data": [
        medium("h1", "Zonsondergang boven de Martinitoren #groningen", "2026-11-20T17:00:00+0000", 5)]}))
    server.serve(f"{V}/m3/comments", answer({"data": []}))
    second = room.crawl("instagram-gemeente", **TOKEN)

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"]) == (1, 1), second
    assert len(requests_to(server, f"{V}/ig_hashtag_search")) == 1
    assert len(requests_to(server, f"{V}/{ACCOUNT}/media")) == 3  # the known medium ended the paging


def test_an_expired_token_is_a_failed_run_saying_so(room, module_server):
    module_server.serve(f"{V}/{ACCOUNT}", answer({"error": {"message": "Error validating access token: The user has not "
                                                            "authorized application 123.", "type": "OAuthException",
                                                            "code": 190, "error_subcode": 458}}, 400))
    result = room.crawl("instagram-gemeente", **TOKEN)
    assert result["status"] == "failed", result
    assert result["error"].startswith("token verlopen of ingetrokken:") and "NEWSROOM_INSTAGRAM_TOKEN" in result["error"]


def test_more_than_thirty_hashtags_is_a_config_error():
    sources = [{"name": "ig", "kind": "instagram", "url": "https://graph.facebook.com", "account": "1",
                "hashtags": [f"tag{n}" for n in range(31)]}]
    with pytest.raises(ConfigError, match="allows 30 different hashtags per account in 7 days"):
        parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]}, "sources": sources})


def test_recorded_instagram_answers_become_posts(shared_testdata):
    """Real Graph API answers recorded by python-facebook's tests (not committed: ../shared/testdata)."""
    folder = shared_testdata / "social" / "instagram" / "python_facebook"
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    for name in ("user_media_p1.json", "hashtag_top_media_p1.json", "hashtag_top_media_p2.json"):
        for entry in json.loads((folder / name).read_text(encoding="utf-8"))["data"]:
            post = media_post(entry, account=None, crawled_at=now)
            assert post is not None and post["url"].startswith("https://www.instagram.com/p/")
            assert ("timestamp" in entry) != bool(post["extra"].get("published_guessed"))
    replies = json.loads((folder / "comment_replies.json").read_text(encoding="utf-8"))["data"]
    assert [comment_post(r, "c", None)["parent_external_id"] for r in replies] == ["c"]

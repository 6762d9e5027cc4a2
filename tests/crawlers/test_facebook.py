"""Facebook (Graph API): real crawls (`python -m crawlers.run`) against answers on 127.0.0.1."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from localserver import Reply
from platforms import JSON, WATCH, query, requests_to, stored_text

from crawlers.spiders.facebook import comment_post, page_post

V = "/v21.0"
PAGE_ID = "1650000000001"
POSTS = f"{V}/{PAGE_ID}/published_posts"
TOKEN = {"NEWSROOM_FACEBOOK_TOKEN": "EAAG-pagina-token"}


def answer(data, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(body=json.dumps(data).encode(), status=status, content_type=JSON, headers=headers or {})


def page_info() -> Reply:
    return answer({"id": PAGE_ID, "name": "Gemeente Groningen", "followers_count": 48100})


def fb_post(number: int, when: str, message: str, reactions: int = 0, comments: int = 0, shares: int = 0) -> dict:
    return {
        "id": f"{PAGE_ID}_{number}", "message": message, "created_time": when,
        "permalink_url": f"https://www.facebook.com/gemeentegroningen/posts/{number}",
        "from": {"id": PAGE_ID, "name": "Gemeente Groningen"}, "shares": {"count": shares},
        "reactions": {"data": [], "summary": {"total_count": reactions}},
        "comments": {"data": [], "summary": {"total_count": comments}},
    }


def fb_comment(post: int, number: int, when: str, message: str, name: str, person: str, parent: int | None = None) -> dict:
    comment = {
        "id": f"{post}_{number}", "message": message, "created_time": when, "like_count": 2, "comment_count": 0,
        "permalink_url": f"https://www.facebook.com/gemeentegroningen/posts/{post}?comment_id={parent or number}"
                         + (f"&reply_comment_id={number}" if parent else ""),
        "from": {"id": person, "name": name},
    }
    if parent:
        comment["parent"] = {"id": f"{post}_{parent}"}
    return comment


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url()
    return module_newsroom(WATCH + f"""
[[sources]]
name = "facebook-gemeente"
kind = "facebook"
url = "{url}"
pages = ["{PAGE_ID}"]
watch_comments = "3650d"

[[sources]]
name = "facebook-verlopen"
kind = "facebook"
url = "{url}"
pages = ["9990001"]
""")


def test_first_crawl_pages_and_waits_out_a_429_then_the_second_stores_only_newer_items(room, module_server):
    server = module_server
    server.serve(f"{V}/{PAGE_ID}", page_info())
    server.serve(POSTS, [
        answer({"error": {"message": "(#4) Application request limit reached", "code": 4}}, 429,
               {"Retry-After": "1"}),
        answer({"data": [
            fb_post(2, "2026-11-20T09:00:00+0000", "Vanaf maandag gaat de Grote Markt in Groningen dicht voor "
                    "autoverkeer.", reactions=310, comments=3, shares=25),
        ], "paging": {"cursors": {"after": "QVFI"}, "next": server.url(f"{POSTS}?after=QVFI")}}),
        answer({"data": [fb_post(1, "2026-11-19T15:00:00+0000", "Het nieuwe afvalbeleid van de Stad: minder kliko's.")],
                "paging": {"cursors": {"before": "QVFH"}}}),
    ])
    comments = f"{V}/{PAGE_ID}_2/comments"
    server.serve(comments, [
        answer({"data": [
            fb_comment(2, 12, "2026-11-20T10:30:00+0000", "@gemeentegroningen Dank voor het antwoord!", "Gemeente Groningen",
                       PAGE_ID, parent=11),
            fb_comment(2, 11, "2026-11-20T10:00:00+0000", "En waar moet ik dan parkeren in Groningen?", "Fenna Prins",
                       "10228811223344"),
        ], "paging": {"cursors": {"after": "Q1"}, "next": server.url(f"{comments}?after=Q1")}}),
        answer({"data": [fb_comment(2, 10, "2026-11-20T09:30:00+0000", "Eindelijk een autovrije Grote Markt in Stad!",
                                    "Jelmer Bakker", "10228811229999")]}),
    ])
    first = room.crawl("facebook-gemeente", **TOKEN)

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (5, 5, 0), first
    listing = requests_to(server, POSTS)
    assert len(listing) == 3 and listing[1].at - listing[0].at >= 0.9  # the 429 was waited out
    assert query(listing[2])["after"] == ["QVFI"]
    assert "snelheidslimiet van Facebook: 1 keer gewacht" in room.runs("facebook-gemeente")[-1]["error"]
    assert all(r.headers.get("Authorization") == "Bearer EAAG-pagina-token" for r in server.requests
               if r.path.startswith(V))
    assert all("access_token" not in r.path for r in server.requests)  # never in a URL
    assert query(requests_to(server, comments)[0])["filter"] == ["stream"]

    stored = {p["external_id"]: p for p in room.posts("facebook-gemeente")}
    post = stored[f"{PAGE_ID}_2"]
    assert post["author"] == "Gemeente Groningen" and post["author_public"] is True
    assert (post["likes"], post["reposts"], post["replies"], post["author_reach"]) == (310, 25, 3, 48100)
    reply = stored["2_12"]
    assert reply["parent_external_id"] == "2_11" and reply["author_public"] is True
    comment = stored["2_11"]
    assert comment["parent_external_id"] == f"{PAGE_ID}_2" and comment["author"].startswith("inwoner-")
    assert comment["thread_url"] == "https://www.facebook.com/gemeentegroningen/posts/2"
    everything = stored_text(list(stored.values()))
    assert not [v for v in ("Fenna Prins", "Jelmer Bakker", "10228811223344", "10228811229999") if v in everything]

    # The second crawl asks from the newest post on, and reads the comments down to the newest seen.
    server.serve(POSTS, answer({"data": [
        fb_post(3, "2026-11-21T08:00:00+0000", "Groningen zoekt meedenkers voor het nieuwe parkeerbeleid.", comments=1),
        fb_post(2, "2026-11-20T09:00:00+0000", "Vanaf maandag gaat de Grote Markt in Groningen dicht voor "
                "autoverkeer.", reactions=320, comments=4, shares=25),
    ]}))
    server.serve(comments, answer({"data": [
        fb_comment(2, 13, "2026-11-21T07:00:00+0000", "Wordt het ook stiller in de Stad?", "Fenna Prins", "10228811223344"),
        fb_comment(2, 12, "2026-11-20T10:30:00+0000", "@gemeentegroningen Dank voor het antwoord!", "Gemeente Groningen",
                   PAGE_ID, parent=11),
    ], "paging": {"next": server.url(f"{comments}?after=Q2")}}))
    server.serve(f"{V}/{PAGE_ID}_3/comments", answer({"data": []}))

    second = room.crawl("facebook-gemeente", **TOKEN)

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"], second["duplicates"]) == (2, 2, 0), second
    since = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc).timestamp()
    assert int(query(requests_to(server, POSTS)[-1])["since"][0]) == since
    assert len(requests_to(server, comments)) == 3  # two pages, then one: the known comment stopped the paging
    assert {"2_13", f"{PAGE_ID}_3"} <= {p["external_id"] for p in room.posts("facebook-gemeente")}


def test_an_expired_token_is_a_failed_run_saying_so(room, module_server):
    module_server.serve(f"{V}/9990001", answer({"error": {
        "message": "Error validating access token: Session has expired on Friday, 20-Nov-26 09:00:00 PST.",
        "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "AbC"}}, 400))

    result = room.crawl("facebook-verlopen", **TOKEN)

    assert result["status"] == "failed", result
    assert result["error"].startswith("token verlopen of ingetrokken: HTTP 400 Bad Request from")
    assert "Session has expired" in result["error"] and "NEWSROOM_FACEBOOK_TOKEN" in result["error"]
    assert "EAAG-pagina-token" not in result["error"]
    assert room.runs("facebook-verlopen")[-1]["status"] == "failed"


def test_without_a_token_the_run_fails_naming_the_variable(room):
    result = room.crawl("facebook-verlopen", NEWSROOM_FACEBOOK_TOKEN="")
    assert result["status"] == "failed" and "NEWSROOM_FACEBOOK_TOKEN" in result["error"], result


def test_recorded_page_feed_and_comments_become_posts(shared_testdata):
    """Real Graph API answers recorded by python-facebook's tests (not committed: ../shared/testdata)."""
    folder = shared_testdata / "social" / "facebook" / "python_facebook"
    entries = [e for name in ("page_feed_p1.json", "page_feed_p2.json", "group_feed_p1.json", "user_posts_time_paging.json")
               for e in json.loads((folder / name).read_text(encoding="utf-8"))["data"]]
    posts = [page_post(e, page_name="Facebook for Developers", reach=1) for e in entries]
    assert all(p is not None and p["published_at"].tzinfo is not None for p in posts)
    first = posts[0]
    assert (first["likes"], first["reposts"], first["replies"]) == (125, 10, 13)
    comments = [comment_post(c, "19292868552_10158407654328553", None)
                for name in ("post_comments_p1.json", "post_comments_p2.json")
                for c in json.loads((folder / name).read_text(encoding="utf-8"))["data"]]
    assert len({c["external_id"] for c in comments}) == len(comments) == 15
    replies = [c for c in comments if c["parent_external_id"] != "19292868552_10158407654328553"]
    assert replies and all(r["parent_external_id"].startswith("10158407654328553_") for r in replies)

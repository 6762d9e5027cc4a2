"""YouTube (Data API v3): real crawls (`python -m crawlers.run`) against answers on 127.0.0.1."""
from __future__ import annotations

import json

import pytest
from localserver import Reply
from platforms import JSON, WATCH, query, requests_to, stored_text

from core.store.sources import source_health
from crawlers.spiders.youtube import comment_post, video_post

API = "/youtube/v3"
KEY = {"NEWSROOM_YOUTUBE_KEY": "AIza-sleutel-123"}


def answer(data, status: int = 200) -> Reply:
    return Reply(body=json.dumps(data).encode(), status=status, content_type=JSON)


def video(video_id: str, title: str, when: str, comments: int) -> dict:
    return {"kind": "youtube#video", "id": video_id, "snippet": {
        "publishedAt": when, "channelId": "UCstadsblad", "title": title, "description": f"{title} in Groningen.",
        "channelTitle": "Stadsblad Groningen", "thumbnails": {"high": {"url": f"https://i.ytimg.com/vi/{video_id}/hq.jpg"}},
        "defaultAudioLanguage": "nl"},
        "statistics": {"viewCount": "5400", "likeCount": "87", "commentCount": str(comments)}}


def comment(comment_id: str, text: str, when: str, name: str, channel: str, parent: str | None = None) -> dict:
    snippet = {"authorDisplayName": name, "authorProfileImageUrl": "https://yt3.ggpht.com/a.jpg",
               "authorChannelUrl": f"http://www.youtube.com/channel/{channel}", "authorChannelId": {"value": channel},
               "textDisplay": text, "textOriginal": text, "likeCount": 3, "publishedAt": when, "updatedAt": when}
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "id": comment_id, "snippet": snippet}


def thread(top: dict, replies: list[dict], total: int | None = None) -> dict:
    return {"kind": "youtube#commentThread", "id": top["id"],
            "snippet": {"videoId": "vid1", "topLevelComment": top, "totalReplyCount": len(replies) if total is None else total},
            "replies": {"comments": replies}}


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url(API)
    return module_newsroom(WATCH + f"""
[[sources]]
name = "youtube-stad"
kind = "youtube"
url = "{url}"
watch_comments = "3650d"
daily_quota = 100000

[[sources]]
name = "youtube-op"
kind = "youtube"
url = "{url}"
query = "Martinitoren"
daily_quota = 100000
""")


def test_search_videos_and_comments_then_only_newer_ones(room, module_server):
    server = module_server
    server.serve(f"{API}/search", [
        answer({"items": [{"id": {"kind": "youtube#video", "videoId": "vid1"},
                           "snippet": {"publishedAt": "2026-11-20T08:00:00Z"}}], "nextPageToken": "CBkQAA"}),
        answer({"items": [{"id": {"kind": "youtube#video", "videoId": "vid0"},
                           "snippet": {"publishedAt": "2026-11-19T08:00:00Z"}}]}),
    ])
    server.serve(f"{API}/videos", [
        answer({"items": [video("vid1", "Wateroverlast in Paddepoel", "2026-11-20T08:00:00Z", 4)]}),
        answer({"items": [video("vid0", "De nieuwe fietsenstalling bij het station", "2026-11-19T08:00:00Z", 0)]}),
    ])
    server.serve(f"{API}/commentThreads", answer({"items": [
        thread(comment("c2", "Bij ons in de straat stond het water tot de drempel, Groningen moet wat doen",
                       "2026-11-20T11:00:00Z", "Ineke Smit", "UCineke"),
               [comment("c2.r1", "Bij ons ook!", "2026-11-20T11:30:00Z", "Harm de Vries", "UCharm", "c2")], total=2),
        thread(comment("c1", "Goed filmpje over de Stad", "2026-11-20T09:00:00Z", "Harm de Vries", "UCharm"), []),
    ]}))
    server.serve(f"{API}/comments", answer({"items": [
        comment("c2.r2", "Gemeente zegt dat de pomp morgen klaar is", "2026-11-20T12:00:00Z", "Ineke Smit", "UCineke", "c2"),
        comment("c2.r1", "Bij ons ook!", "2026-11-20T11:30:00Z", "Harm de Vries", "UCharm", "c2"),
    ]}))

    first = room.crawl("youtube-stad", **KEY)

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (6, 6, 0), first
    search = requests_to(server, f"{API}/search")
    assert query(search[0])["regionCode"] == ["NL"] and query(search[0])["relevanceLanguage"] == ["nl"]
    assert query(search[0])["q"] == ["Groningen|Stad|#groningen"] and query(search[1])["pageToken"] == ["CBkQAA"]
    assert all(r.headers.get("X-Goog-Api-Key") == "AIza-sleutel-123" and "key=" not in r.path
               for r in server.requests if r.path.startswith(API))
    assert len(requests_to(server, f"{API}/commentThreads")) == 1  # vid0 has no comments: not asked

    stored = {p["external_id"]: p for p in room.posts("youtube-stad")}
    assert set(stored) == {"vid1", "vid0", "c1", "c2", "c2.r1", "c2.r2"}
    assert stored["vid1"]["title"] == "Wateroverlast in Paddepoel" and stored["vid1"]["extra"]["views"] == 5400
    assert (stored["vid1"]["likes"], stored["vid1"]["replies"]) == (87, 4)
    assert stored["c2"]["parent_external_id"] == "vid1" and stored["c2.r2"]["parent_external_id"] == "c2"
    assert stored["c2"]["url"] == "https://www.youtube.com/watch?v=vid1&lc=c2"
    assert stored["c2"]["author"].startswith("inwoner-")
    everything = stored_text(list(stored.values()))
    assert not [v for v in ("Ineke Smit", "UCineke", "Harm de Vries", "UCharm", "yt3.ggpht") if v in everything]
    budget = room.state("youtube-stad")["budget"]
    assert budget["used"] == 100 + 100 + 1 + 1 + 1 + 1 and budget["unit"] == "quota units"  # 2 searches, 4 calls

    # Second crawl: publishedAfter the newest video; vid1's comment count grew, so its comments are read
    # down to the newest one seen.
    server.serve(f"{API}/search", answer({"items": []}))
    server.serve(f"{API}/videos", answer({"items": [video("vid1", "Wateroverlast in Paddepoel", "2026-11-20T08:00:00Z", 5),
                                                    video("vid0", "De nieuwe fietsenstalling bij het station",
                                                          "2026-11-19T08:00:00Z", 0)]}))
    server.serve(f"{API}/commentThreads", answer({"items": [
        thread(comment("c3", "Nog steeds natte voeten in Paddepoel", "2026-11-21T09:00:00Z", "Ineke Smit", "UCineke"), []),
        thread(comment("c2", "Bij ons in de straat stond het water tot de drempel, Groningen moet wat doen",
                       "2026-11-20T11:00:00Z", "Ineke Smit", "UCineke"), []),
    ], "nextPageToken": "NEXT"}))

    second = room.crawl("youtube-stad", **KEY)

    assert second["status"] == "ok", second
    assert (second["fetched"], second["new"]) == (1, 1), second
    assert query(requests_to(server, f"{API}/search")[-1])["publishedAfter"] == ["2026-11-20T08:00:00Z"]
    assert len(requests_to(server, f"{API}/commentThreads")) == 2  # the known comment ended the paging


def test_quota_exceeded_fails_the_run_and_nothing_is_asked_until_the_reset(room, module_server):
    module_server.serve(f"{API}/search", answer({"error": {"code": 403, "message": "The request cannot be completed "
                                                           "because you have exceeded your quota.",
                                                           "errors": [{"message": "quota", "domain": "youtube.quota",
                                                                       "reason": "quotaExceeded"}]}}, 403))
    first = room.crawl("youtube-op", **KEY)
    assert first["status"] == "failed", first
    assert first["error"].startswith("YouTube-quotum voor vandaag op (quotaExceeded)")
    asked = len(requests_to(module_server, f"{API}/search"))

    second = room.crawl("youtube-op", **KEY)

    assert second["status"] == "ok" and second["fetched"] == 0, second
    assert len(requests_to(module_server, f"{API}/search")) == asked  # not hammered
    assert "Google meldde quotaExceeded" in room.runs("youtube-op")[-1]["error"]
    with room.engine.connect() as conn:
        budget = {s["name"]: s for s in source_health(conn)}["youtube-op"]["budget"]
    assert budget["remaining"] == 0 and budget["exhausted_until"]


def test_an_invalid_key_is_a_failed_run_saying_so(room, module_server):
    module_server.serve(f"{API}/search", answer({"error": {"errors": [{"domain": "usageLimits", "reason": "keyInvalid",
                                                                       "message": "Bad Request"}],
                                                           "code": 400, "message": "Bad Request"}}, 400))
    result = room.crawl("youtube-stad", **KEY)
    assert result["status"] == "failed", result
    assert result["error"].startswith("token verlopen of ingetrokken: HTTP 400 Bad Request")
    assert "keyInvalid" in result["error"] and "AIza-sleutel-123" not in result["error"]


def test_recorded_youtube_answers_become_posts(shared_testdata):
    """Real Data API answers recorded by python-youtube's tests (not committed: ../shared/testdata)."""
    folder = shared_testdata / "social" / "youtube" / "python_youtube"
    videos = json.loads((folder / "videos_list.json").read_text(encoding="utf-8"))["items"]
    assert all(video_post(v) is not None for v in videos)
    threads = json.loads((folder / "comment_threads_by_video_p1.json").read_text(encoding="utf-8"))["items"]
    tops = [comment_post(t["snippet"]["topLevelComment"], t["snippet"]["videoId"], None) for t in threads]
    assert all(p is not None and p["parent_external_id"] == threads[0]["snippet"]["videoId"] for p in tops)
    replies = json.loads((folder / "comments_replies_p1.json").read_text(encoding="utf-8"))["items"]
    posts = [comment_post(r, "video", r["snippet"]["parentId"]) for r in replies]
    assert all(p["parent_external_id"] == "Ugw5zYU6n9pmIgAZWvN4AaABAg" for p in posts)
    assert all("<a" not in p["text"] for p in tops)  # textOriginal, not the HTML

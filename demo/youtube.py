"""The YouTube Data API v3: search.list (q with | for OR, publishedAfter, pageToken), videos.list with
statistics, commentThreads.list (newest first, at most five replies inline) and comments.list for the
rest of a thread's replies. Local channels (the municipality, the local papers) post videos; residents
comment and answer each other.
"""
from __future__ import annotations

from datetime import datetime

from .corpus import DemoPost
from .formats import iso_z, matches, words
from .site import Request, Response, api_robots, image, json_response

INLINE_REPLIES = 5


def video_id(post: DemoPost) -> str:
    return f"demo{post.n:07d}"


def comment_id(post: DemoPost) -> str:
    return f"Ugdemo{post.n:07d}"


def channel_id(author) -> str:
    return f"UCdemo{author.number:06d}"


def _page(req: Request, items: list, size_default: int = 5) -> tuple[list, str | None]:
    size = req.int_arg("maxResults", size_default, 1, 100)
    start = req.int_arg("pageToken", 0, 0, 10**9)
    following = str(start + size) if start + size < len(items) else None
    return items[start:start + size], following


def _videos(req: Request) -> list[DemoPost]:
    return [p for p in req.released() if p.is_opener]


def search(req: Request) -> Response:
    terms = [words(t) for t in (req.arg("q") or "").split("|") if t.strip()]
    after = req.arg("publishedAfter")
    since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
    found = [p for p in reversed(_videos(req)) if any(matches(t, f"{p.title} {p.text}") for t in terms)
             and (since is None or p.at > since)]
    page, following = _page(req, found)
    body = {"kind": "youtube#searchListResponse", "regionCode": req.arg("regionCode", "NL"),
            "pageInfo": {"totalResults": len(found), "resultsPerPage": len(page)},
            "items": [{"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": video_id(p)},
                       "snippet": {"publishedAt": iso_z(p.at), "channelId": channel_id(p.author), "title": p.title,
                                   "channelTitle": p.author.name}} for p in page]}
    if following:
        body["nextPageToken"] = following
    return json_response(body)


def videos(req: Request) -> Response:
    wanted = set((req.arg("id") or "").split(","))
    released = req.released()
    comments: dict[int, int] = {}
    for p in released:
        if p.thread is not None:
            comments[p.thread.n] = comments.get(p.thread.n, 0) + 1
    items = [{"kind": "youtube#video", "id": video_id(p),
              "snippet": {"publishedAt": iso_z(p.at), "channelId": channel_id(p.author), "title": p.title,
                          "description": p.text, "channelTitle": p.author.name, "defaultAudioLanguage": "nl",
                          "thumbnails": {"high": {"url": f"{req.base}/vi/{p.image or 'stad-1'}.png"}}},
              "statistics": {"viewCount": str(p.likes * 37 + 120), "likeCount": str(p.likes),
                             "commentCount": str(comments.get(p.n, 0))}}
             for p in released if p.is_opener and video_id(p) in wanted]
    return json_response({"kind": "youtube#videoListResponse", "items": items})


def _comment(post: DemoPost, video: DemoPost, parent: DemoPost | None) -> dict:
    snippet = {"authorDisplayName": post.author.name, "authorChannelId": {"value": channel_id(post.author)},
               "videoId": video_id(video), "textDisplay": post.text, "textOriginal": post.text,
               "likeCount": post.likes, "publishedAt": iso_z(post.at), "updatedAt": iso_z(post.at)}
    if parent is not None:
        snippet["parentId"] = comment_id(parent)
    return {"kind": "youtube#comment", "id": comment_id(post), "snippet": snippet}


def _top(post: DemoPost, video: DemoPost) -> DemoPost:
    while post.parent is not None and post.parent is not video:
        post = post.parent
    return post


def comment_threads(req: Request) -> Response:
    released = req.released()
    video = next((p for p in released if p.is_opener and video_id(p) == req.arg("videoId")), None)
    if video is None:
        return _error(404, "videoNotFound", "The video identified by the videoId parameter could not be found.")
    thread = [p for p in released if p.thread is video]
    tops = [p for p in reversed(thread) if p.parent is video]
    page, following = _page(req, tops, 20)
    items = []
    for top in page:
        replies = [r for r in thread if r.parent is not video and _top(r, video) is top]
        items.append({"kind": "youtube#commentThread", "id": comment_id(top),
                      "snippet": {"videoId": video_id(video), "topLevelComment": _comment(top, video, None),
                                  "totalReplyCount": len(replies), "isPublic": True},
                      "replies": {"comments": [_comment(r, video, top) for r in replies[:INLINE_REPLIES]]}})
    body = {"kind": "youtube#commentThreadListResponse", "items": items}
    if following:
        body["nextPageToken"] = following
    return json_response(body)


def comments(req: Request) -> Response:
    parent = req.arg("parentId") or ""
    released = req.released()
    top = next((p for p in released if comment_id(p) == parent and p.thread is not None), None)
    if top is None:
        return _error(404, "commentNotFound", "The comment identified by the parentId parameter could not be found.")
    video = top.thread
    replies = [r for r in released if r.thread is video and r.parent is not video and _top(r, video) is top]
    page, following = _page(req, replies, 20)
    body = {"kind": "youtube#commentListResponse", "items": [_comment(r, video, top) for r in page]}
    if following:
        body["nextPageToken"] = following
    return json_response(body)


def _error(status: int, reason: str, message: str) -> Response:
    return json_response({"error": {"code": status, "message": message,
                                    "errors": [{"message": message, "domain": "youtube.api", "reason": reason}]}},
                         status=status)


ROUTES = [
    (r"/robots\.txt", api_robots),
    (r"/vi/(?P<name>[a-z0-9-]+)\.png", image),
    (r"/youtube/v3/search", search),
    (r"/youtube/v3/videos", videos),
    (r"/youtube/v3/commentThreads", comment_threads),
    (r"/youtube/v3/comments", comments),
]

"""The Instagram Graph API for the municipality's business account: the account, its media, their
comments with replies nested, and hashtag search (ig_hashtag_search, recent_media, top_media), where
residents' posts with #groningen turn up without their author, as on Instagram.
"""
from __future__ import annotations

from .corpus import DemoPost
from .facebook import USAGE, graph_time
from .site import Request, Response, api_robots, image, json_response

ACCOUNT_BASE = 17_841_400_000_000_000
HASHTAG_ID = "17843826142012701"


def account_id(author) -> str:
    return str(ACCOUNT_BASE + author.number)


def _paged(req: Request, items: list, render) -> Response:
    limit = req.int_arg("limit", 25, 1, 100)
    start = req.int_arg("after", 0, 0, 10**9)
    body: dict = {"data": [render(p) for p in items[start:start + limit]]}
    if start + limit < len(items):
        body["paging"] = {"cursors": {"after": str(start + limit)}, "next": req.url(after=start + limit)}
    return json_response(body, headers=USAGE)


def _medium(req: Request, post: DemoPost, comments: int) -> dict:
    return {"id": str(post.n), "caption": post.text, "media_type": "IMAGE",
            "media_url": f"{req.base}/media/{post.image or 'stad-1'}.png", "permalink": f"{req.base}/p/{post.n}/",
            "timestamp": graph_time(post.at), "like_count": post.likes, "comments_count": comments}


def _counts(released: list[DemoPost]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for p in released:
        if p.thread is not None:
            counts[p.thread.n] = counts.get(p.thread.n, 0) + 1
    return counts


def account(req: Request, version: str, ident: str) -> Response:
    gemeente = req.corpus.public["gemeente"]
    if ident != account_id(gemeente):
        return _unknown(ident)
    return json_response({"id": ident, "username": gemeente.key, "name": gemeente.name,
                          "followers_count": gemeente.followers}, headers=USAGE)


def media(req: Request, version: str, ident: str) -> Response:
    gemeente = req.corpus.public["gemeente"]
    if ident != account_id(gemeente):
        return _unknown(ident)
    released = req.released()
    counts = _counts(released)
    own = [p for p in reversed(released) if p.is_opener and p.author is gemeente]
    return _paged(req, own, lambda p: _medium(req, p, counts.get(p.n, 0)))


def hashtag_search(req: Request, version: str) -> Response:
    if (req.arg("q") or "").lower().lstrip("#") != "groningen":
        return json_response({"data": []}, headers=USAGE)
    return json_response({"data": [{"id": HASHTAG_ID}]}, headers=USAGE)


def hashtag_media(req: Request, version: str, edge: str) -> Response:
    released = req.released()
    counts = _counts(released)
    tagged = [p for p in reversed(released) if p.is_opener and "groningen" in p.tags]
    if edge == "top_media":
        tagged.sort(key=lambda p: p.likes, reverse=True)
    return _paged(req, tagged, lambda p: _medium(req, p, counts.get(p.n, 0)))


def comments(req: Request, version: str, media_id: str) -> Response:
    released = req.released()
    opener = next((p for p in released if str(p.n) == media_id and p.is_opener), None)
    if opener is None:
        return _unknown(media_id)
    top = [p for p in released if p.thread is opener and p.parent is opener]

    def render(c: DemoPost) -> dict:
        nested = [r for r in released if r.thread is opener and r.parent is not None and r.parent is not opener
                  and _top_of(r, opener) is c]
        return {"id": str(c.n), "text": c.text, "timestamp": graph_time(c.at), "like_count": c.likes,
                "username": c.author.key,
                "replies": {"data": [{"id": str(r.n), "text": r.text, "timestamp": graph_time(r.at),
                                      "like_count": r.likes, "username": r.author.key} for r in nested]}}

    return _paged(req, top[::-1], render)


def _top_of(post: DemoPost, opener: DemoPost) -> DemoPost:
    """The top-level comment a reply hangs under: Instagram nests replies one level deep."""
    while post.parent is not None and post.parent is not opener:
        post = post.parent
    return post


def _unknown(ident: str) -> Response:
    return json_response({"error": {"message": f"Unsupported get request. Object with ID '{ident}' does not exist",
                                    "type": "GraphMethodException", "code": 100}}, status=400)


VERSION = r"/(?P<version>v\d+\.\d+)"
ROUTES = [
    (r"/robots\.txt", api_robots),
    (r"/media/(?P<name>[a-z0-9-]+)\.png", image),
    (VERSION + r"/ig_hashtag_search", hashtag_search),
    (VERSION + rf"/{HASHTAG_ID}/(?P<edge>recent_media|top_media)", hashtag_media),
    (VERSION + r"/(?P<media_id>\d+)/comments", comments),
    (VERSION + r"/(?P<ident>\d+)/media", media),
    (VERSION + r"/(?P<ident>\d+)", account),
]

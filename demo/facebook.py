"""Facebook's Graph API for the municipality's Page: Page info, published posts (since=, cursor paging)
and their comments and replies (filter=stream, newest first, each reply with its parent).

Ids as the Graph API writes them: a Page post "{page id}_{n}", a comment "{n of the post}_{n}".
Answers carry x-app-usage, the header Meta's rate limits are read from.
"""
from __future__ import annotations

from .corpus import DemoPost
from .formats import iso_z
from .site import Request, Response, api_robots, image, json_response, not_found

PAGE_BASE = 165_000_000_000
USAGE = {"x-app-usage": '{"call_count":3,"total_cputime":1,"total_time":2}'}


def page_id(author) -> str:
    return str(PAGE_BASE + author.number)


def graph_time(moment) -> str:
    return iso_z(moment).split(".")[0] + "+0000"


def _page(req: Request, ident: str):
    gemeente = req.corpus.public["gemeente"]
    return gemeente if ident in (page_id(gemeente), gemeente.key) else None


def _paged(req: Request, items: list, render) -> Response:
    limit = req.int_arg("limit", 25, 1, 100)
    start = req.int_arg("after", 0, 0, 10**9)
    page = items[start:start + limit]
    body: dict = {"data": [render(p) for p in page]}
    if start + limit < len(items):
        body["paging"] = {"cursors": {"after": str(start + limit)}, "next": req.url(after=start + limit)}
    return json_response(body, headers=USAGE)


def page_info(req: Request, version: str, ident: str) -> Response:
    page = _page(req, ident)
    if page is None:
        return _unknown(ident)
    return json_response({"id": page_id(page), "name": page.name, "username": page.key,
                          "followers_count": page.followers, "fan_count": page.followers}, headers=USAGE)


def posts(req: Request, version: str, ident: str, edge: str) -> Response:
    page = _page(req, ident)
    if page is None:
        return _unknown(ident)
    released = req.released()
    since = req.int_arg("since", 0, 0, 2**40)
    openers = [p for p in reversed(released) if p.is_opener and p.author.key == page.key and p.at.timestamp() >= since]
    replies = _reply_counts(released)
    return _paged(req, openers, lambda p: {
        "id": f"{page_id(page)}_{p.n}", "message": p.text, "created_time": graph_time(p.at),
        "permalink_url": f"{req.base}/{page.key}/posts/{p.n}", "from": {"id": page_id(page), "name": page.name},
        "full_picture": f"{req.base}/media/{p.image}.png" if p.image else None, "status_type": "mobile_status_update",
        "shares": {"count": p.reposts}, "reactions": {"data": [], "summary": {"total_count": p.likes}},
        "comments": {"data": [], "summary": {"total_count": replies.get(p.n, 0)}},
    })


def comments(req: Request, version: str, post: str) -> Response:
    number = post.rsplit("_", 1)[-1]
    released = req.released()
    opener = next((p for p in released if str(p.n) == number and p.is_opener), None)
    if opener is None:
        return _unknown(post)
    thread = [p for p in reversed(released) if p.thread is opener]
    replies = _reply_counts(released)

    def render(c: DemoPost) -> dict:
        comment = {
            "id": f"{opener.n}_{c.n}", "message": c.text, "created_time": graph_time(c.at), "like_count": c.likes,
            "comment_count": replies.get(c.n, 0), "from": {"id": str(PAGE_BASE + c.author.number), "name": c.author.name},
            "permalink_url": f"{req.base}/{opener.author.key}/posts/{opener.n}?comment_id={c.n}",
        }
        if c.parent is not None and c.parent is not opener:
            comment["parent"] = {"id": f"{opener.n}_{c.parent.n}"}
        return comment

    return _paged(req, thread, render)


def _reply_counts(released: list[DemoPost]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for p in released:
        if p.parent is not None:
            counts[p.parent.n] = counts.get(p.parent.n, 0) + 1
    return counts


def _unknown(ident: str) -> Response:
    return json_response({"error": {"message": f"(#100) Object with ID '{ident}' does not exist", "type": "GraphMethodException",
                                    "code": 100}}, status=400)


def page_html(req: Request, page: str, n: str) -> Response:
    return not_found("Deze demo toont berichten alleen via de Graph API")


VERSION = r"/(?P<version>v\d+\.\d+)"
ROUTES = [
    (r"/robots\.txt", api_robots),
    (r"/media/(?P<name>[a-z0-9-]+)\.png", image),
    (VERSION + r"/(?P<post>\d+_\d+)/comments", comments),
    (VERSION + r"/(?P<ident>[a-z0-9]+)/(?P<edge>published_posts|posts|feed)", posts),
    (VERSION + r"/(?P<ident>[a-z0-9]+)", page_info),
    (r"/(?P<page>[a-z0-9]+)/posts/(?P<n>\d+)", page_html),
]

"""Reddit's JSON: subreddit listings (new, hot, comments), search, and a submission with its comments.

Listings page with after/before on fullnames (t3_…, t1_…). Without raw_json=1 Reddit escapes &, < and
> in every string of the answer, as the real site does for old clients; with raw_json=1 it does not.
"""
from __future__ import annotations

import html
from typing import Any

from .corpus import SUBREDDIT, DemoPost
from .feeds import article_url
from .formats import base36, dutch, iso_local, matches, slugify, words
from .site import (
    TEMPLATES,
    Request,
    Response,
    html_response,
    image,
    json_response,
    not_found,
    text_response,
)

DEFAULT_LIMIT, MAX_LIMIT = 25, 100
SUBSCRIBERS = 31250
SUBREDDIT_ID = "t5_2qhx5"
ROBOTS = "User-agent: *\nDisallow: /login\nDisallow: /message/\nDisallow: /user/*/saved\n"


def thing_id(post: DemoPost) -> str:
    return base36(60_000_000 + post.n)


def fullname(post: DemoPost) -> str:
    return ("t3_" if post.is_opener else "t1_") + thing_id(post)


def permalink(post: DemoPost) -> str:
    opener = post.opener
    path = f"/r/{opener.place}/comments/{thing_id(opener)}/{slugify(opener.title or '', 50).replace('-', '_')}/"
    return path if post.is_opener else f"{path}{thing_id(post)}/"


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


def rate_limit(req: Request) -> dict[str, str]:
    seconds_left = 600 - int(req.now.timestamp()) % 600
    return {"x-ratelimit-used": "4", "x-ratelimit-remaining": "596.0", "x-ratelimit-reset": str(seconds_left)}


def answer(req: Request, data: Any, status: int = 200) -> Response:
    if req.arg("raw_json") != "1":
        data = _escape(data)
    return json_response(data, status=status, headers=rate_limit(req))


class Subreddit:
    """The subreddit as it is at this request."""

    def __init__(self, req: Request):
        self.req = req
        self.posts = [p for p in req.released() if p.opener.place == SUBREDDIT]
        self.comments_of: dict[int, list[DemoPost]] = {}
        for post in self.posts:
            if not post.is_opener:
                self.comments_of.setdefault(post.opener.n, []).append(post)

    def submissions(self) -> list[DemoPost]:
        return [p for p in self.posts if p.is_opener]

    def comments(self) -> list[DemoPost]:
        return [p for p in self.posts if not p.is_opener]

    def _author(self, author) -> dict:
        return {"author": author.key, "author_fullname": "t2_" + base36(author.number * 7919),
                "author_flair_text": "Gemeente" if author.public else None, "author_flair_css_class": None,
                "author_premium": False, "author_patreon_flair": False}

    def link(self, post: DemoPost) -> dict:
        base = self.req.base
        comments = len(self.comments_of.get(post.n, []))
        fragments = TEMPLATES.get_template("fragments.html").module
        data = {
            "kind": "t3",
            "data": {
                "approved_at_utc": None, "subreddit": post.place, "selftext": "", "selftext_html": None,
                "saved": False, "gilded": 0, "clicked": False, "title": post.title, "link_flair_richtext": [],
                "subreddit_name_prefixed": f"r/{post.place}", "hidden": False, "pwls": 6,
                "link_flair_css_class": None, "downs": 0, "hide_score": False, "name": fullname(post),
                "quarantine": False, "upvote_ratio": 0.93 if post.sentiment != "negative" else 0.81,
                "subreddit_type": "public", "ups": post.likes + 1, "total_awards_received": 0, "media_embed": {},
                "is_original_content": False, "user_reports": [], "secure_media": None, "is_reddit_media_domain": False,
                "is_meta": False, "category": None, "secure_media_embed": {}, "link_flair_text": None,
                "can_mod_post": False, "score": post.likes + 1, "approved_by": None, "thumbnail": "self",
                "edited": False, "gildings": {}, "content_categories": None, "is_self": True,
                "created": post.at.timestamp(), "link_flair_type": "text", "wls": 6, "removed_by_category": None,
                "banned_by": None, "domain": f"self.{post.place}", "allow_live_comments": False, "likes": None,
                "suggested_sort": None, "view_count": None, "archived": False, "no_follow": False,
                "is_crosspostable": True, "pinned": False, "over_18": False, "all_awardings": [], "awarders": [],
                "media_only": False, "can_gild": False, "spoiler": False, "locked": False, "treatment_tags": [],
                "visited": False, "removed_by": None, "mod_note": None, "distinguished": None,
                "subreddit_id": SUBREDDIT_ID, "mod_reason_by": None, "num_reports": None, "removal_reason": None,
                "id": thing_id(post), "is_robot_indexable": True, "report_reasons": None, "discussion_type": None,
                "num_comments": comments, "send_replies": True, "contest_mode": False, "mod_reports": [],
                "permalink": permalink(post), "stickied": False, "url": base + permalink(post),
                "subreddit_subscribers": SUBSCRIBERS, "created_utc": post.at.timestamp(), "num_crossposts": 0,
                "media": None, "is_video": False, **self._author(post.author),
            },
        }
        fields = data["data"]
        if post.link is not None:
            url = article_url(self.req, post.link)
            fields.update({"is_self": False, "url": url, "domain": url.split("/")[2], "post_hint": "link",
                           "url_overridden_by_dest": url})
        elif post.text:
            fields.update({"selftext": post.text, "post_hint": "self",
                           "selftext_html": str(fragments.reddit_md(post.text.split("\n\n")))})
        image = post.image if post.link is None else post.link.image
        if image:
            source = f"{base}/preview/{image}.png?width=320&format=png&auto=webp&s={thing_id(post)}"
            fields["thumbnail"] = f"{base}/thumbs/{image}.png"
            fields["thumbnail_width"], fields["thumbnail_height"] = 140, 78
            fields["preview"] = {"images": [{"source": {"url": source, "width": 320, "height": 180},
                                             "resolutions": [{"url": source.replace("width=320", "width=108"),
                                                              "width": 108, "height": 60}],
                                             "variants": {}, "id": image}], "enabled": post.link is None}
            if post.link is None and not post.text:
                fields.update({"is_self": False, "post_hint": "image", "domain": "i.redd.it",
                               "url": f"{base}/i/{image}.png"})
        return data

    def comment(self, post: DemoPost, *, depth: int = 0, tree: bool = False, max_depth: int = 10) -> dict:
        opener = post.opener
        fragments = TEMPLATES.get_template("fragments.html").module
        data = {
            "kind": "t1",
            "data": {
                "subreddit_id": SUBREDDIT_ID, "approved_at_utc": None, "author_is_blocked": False,
                "comment_type": None, "link_title": opener.title, "mod_reason_by": None, "banned_by": None,
                "ups": post.likes + 1, "num_reports": None, "total_awards_received": 0, "subreddit": opener.place,
                "link_author": opener.author.key, "likes": None, "replies": "", "user_reports": [], "saved": False,
                "id": thing_id(post), "banned_at_utc": None, "mod_reason_title": None, "gilded": 0,
                "archived": False, "collapsed_reason_code": None, "no_follow": False, "num_comments": None,
                "can_mod_post": False, "send_replies": True, "parent_id": fullname(post.parent),
                "score": post.likes + 1, "approved_by": None, "over_18": False, "mod_note": None,
                "all_awardings": [], "collapsed": False, "body": post.text, "edited": False, "top_awarded_type": None,
                "downs": 0, "is_submitter": post.author is opener.author, "collapsed_reason": None,
                "body_html": str(fragments.reddit_md(post.text.split("\n\n"), self_post=False)),
                "removal_reason": None, "collapsed_reason_code_2": None, "distinguished": None,
                "associated_award": None, "stickied": False, "can_gild": False, "gildings": {},
                "unrepliable_reason": None, "score_hidden": False, "permalink": permalink(post),
                "subreddit_type": "public", "locked": False, "name": fullname(post), "created": post.at.timestamp(),
                "link_id": fullname(opener), "link_permalink": self.req.base + permalink(opener),
                "link_url": self.req.base + permalink(opener), "created_utc": post.at.timestamp(),
                "subreddit_name_prefixed": f"r/{opener.place}", "controversiality": 0, "depth": depth,
                "collapsed_because_crowd_control": None, "mod_reports": [], "quarantine": False,
                **self._author(post.author),
            },
        }
        if tree:
            children = [c for c in self.comments_of.get(opener.n, []) if c.parent is post]
            if children and depth + 1 < max_depth:
                data["data"]["replies"] = listing([self.comment(c, depth=depth + 1, tree=True, max_depth=max_depth)
                                                   for c in children], None, None)
        return data


def listing(children: list[dict], after: str | None, before: str | None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": "", "geo_filter": "",
                                         "children": children, "before": before}}


def paged(req: Request, posts: list[DemoPost], render) -> dict:
    """One page of `posts` (newest first) by after / before fullnames, as a Listing."""
    limit = req.int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    names = [fullname(p) for p in posts]
    after, before = req.arg("after"), req.arg("before")
    if after in names:
        start = names.index(after) + 1
    elif before in names:
        start = max(0, names.index(before) - limit)
        posts = posts[:names.index(before)]
    else:
        start = 0
    page = posts[start:start + limit]
    more = start + limit < len(posts)
    return listing([render(p) for p in page], fullname(page[-1]) if page and more else None,
                   fullname(page[0]) if page and start > 0 else None)


def _subreddit(req: Request, name: str) -> Subreddit | None:
    return Subreddit(req) if name.lower() == SUBREDDIT else None


def _missing(req: Request) -> Response:
    return answer(req, {"message": "Not Found", "error": 404}, status=404)


def _unknown_subreddit(req: Request, name: str) -> Response:
    """Reddit sends a listing of a subreddit that does not exist to the subreddit search."""
    return Response(b"", 302, None, {"Location": req.url("/subreddits/search.json", q=name), **rate_limit(req)})


def new(req: Request, name: str) -> Response:
    sub = _subreddit(req, name)
    if sub is None:
        return _unknown_subreddit(req, name)
    return answer(req, paged(req, sub.submissions()[::-1], sub.link))


def hot(req: Request, name: str) -> Response:
    sub = _subreddit(req, name)
    if sub is None:
        return _unknown_subreddit(req, name)
    now = req.now.timestamp()

    def rank(post: DemoPost) -> float:
        hours = (now - post.at.timestamp()) / 3600
        return (post.likes + 3 * len(sub.comments_of.get(post.n, [])) + 1) / (hours + 2) ** 1.5

    return answer(req, paged(req, sorted(sub.submissions(), key=rank, reverse=True), sub.link))


def comments_feed(req: Request, name: str) -> Response:
    """/r/NAME/comments.json: the newest comments of the whole subreddit."""
    sub = _subreddit(req, name)
    if sub is None:
        return _unknown_subreddit(req, name)
    return answer(req, paged(req, sub.comments()[::-1], sub.comment))


def search(req: Request, name: str | None = None) -> Response:
    if name is not None and _subreddit(req, name) is None:
        return _missing(req)
    sub = Subreddit(req)
    wanted = words(req.arg("q") or "")
    found = [p for p in sub.submissions()[::-1] if wanted and matches(wanted, f"{p.title} {p.text}")]
    if req.arg("sort") == "top":
        found.sort(key=lambda p: p.likes, reverse=True)
    return answer(req, paged(req, found, sub.link))


def thread(req: Request, tid: str, name: str | None = None, slug: str | None = None) -> Response:
    sub = Subreddit(req)
    opener = next((p for p in sub.submissions() if thing_id(p) == tid), None)
    if opener is None or (name is not None and name.lower() != opener.place):
        return _missing(req)
    comments = sub.comments_of.get(opener.n, [])
    if req.arg("sort", "confidence") in ("new",):
        comments = comments[::-1]
    elif req.arg("sort", "confidence") in ("top", "confidence", "best"):
        comments = sorted(comments, key=lambda p: p.likes, reverse=True)
    limit = req.int_arg("limit", 200, 1, 500)
    max_depth = req.int_arg("depth", 10, 1, 10)
    top = [c for c in comments if c.parent is opener][:limit]
    link = sub.link(opener)
    return answer(req, [listing([link], None, None),
                        listing([sub.comment(c, tree=True, max_depth=max_depth) for c in top], None, None)])


def info(req: Request) -> Response:
    """/api/info.json?id=t3_…,t1_…: the things named, as a Listing (up to 100)."""
    wanted = [name for value in req.args("id") for name in value.split(",") if name][:100]
    sub = Subreddit(req)
    by_name = {fullname(p): p for p in sub.posts}
    found = [by_name[name] for name in wanted if name in by_name]
    return answer(req, listing([sub.link(p) if p.is_opener else sub.comment(p) for p in found], None, None))


def subreddit_search(req: Request) -> Response:
    return answer(req, listing([], None, None))


def about(req: Request, name: str) -> Response:
    if name.lower() != SUBREDDIT:
        return _missing(req)
    return answer(req, {"kind": "t5", "data": {
        "display_name": SUBREDDIT, "display_name_prefixed": f"r/{SUBREDDIT}", "title": "Groningen",
        "public_description": "Alles over de stad Groningen (demo: alle berichten zijn verzonnen).",
        "subscribers": SUBSCRIBERS, "lang": "nl", "url": f"/r/{SUBREDDIT}/", "over18": False,
        "subreddit_type": "public", "name": SUBREDDIT_ID, "id": SUBREDDIT_ID[3:],
        "created_utc": 1201234567.0}})


def page(req: Request, name: str, tid: str, slug: str) -> Response:
    sub = Subreddit(req)
    opener = next((p for p in sub.submissions() if thing_id(p) == tid), None)
    if opener is None:
        return not_found()
    posts = [opener, *sub.comments_of.get(opener.n, [])]
    shown = [{"anchor": thing_id(p), "author": f"u/{p.author.key}", "published": iso_local(p.at),
              "published_text": dutch(p.at), "reach": f"{p.likes + 1} punten", "paragraphs": p.text.split("\n\n"),
              "image": None, "link": article_url(req, p.link) if p.link is not None else None} for p in posts]
    return html_response("post.html", site=f"r/{SUBREDDIT} (demo)", title=html.unescape(opener.title or ""),
                         posts=shown)


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/r/(?P<name>\w+)/new(?:\.json)", new),
    (r"/r/(?P<name>\w+)(?:/hot)?\.json", hot),
    (r"/r/(?P<name>\w+)/comments\.json", comments_feed),
    (r"/r/(?P<name>\w+)/search\.json", search),
    (r"/r/(?P<name>\w+)/about\.json", about),
    (r"/search\.json", search),
    (r"/api/info\.json", info),
    (r"/subreddits/search\.json", subreddit_search),
    (r"/comments/(?P<tid>[a-z0-9]+)(?:/(?P<slug>\w+))?/?\.json", thread),
    (r"/r/(?P<name>\w+)/comments/(?P<tid>[a-z0-9]+)(?:/(?P<slug>\w+))?/?\.json", thread),
    (r"/r/(?P<name>\w+)/comments/(?P<tid>[a-z0-9]+)/(?P<slug>\w+)/?", page),
    (r"/(?:preview|thumbs|i)/(?P<name>[a-z0-9-]+)\.png", image),
]

"""Facebook: posts of Pages (the municipality's own and others it may read) and their comments and
replies, through Meta's Graph API.

Source options (TOML):
  url            the Graph API, "https://graph.facebook.com"
  pages          Page ids or usernames, e.g. ["gemeentegroningen"]
  edge           "published_posts" (the Page's own posts; default) or "feed" (also visitors' posts)
  api_version    the Graph API version, default "v21.0"
  comments       read comments and replies of recent posts (default true)
  watch_comments how long after it was posted a post's comments are followed (default "7d")
  max_threads    posts whose comments are read per crawl (default 25)
  max_pages      pages of 50 posts, or of 100 comments per post, per crawl (default 3)
  backfill       how far back the first crawl reads (default "2d")
  usage_limit    percent of Meta's hourly share above which the spider asks only what it must (default 80)
  token_env      the variable with a (long-lived) Page access token (default NEWSROOM_FACEBOOK_TOKEN);
                 permissions pages_read_engagement and pages_read_user_content; see docs/platforms.md
  delay          seconds between requests (default: the crawl settings)

Incremental: each Page remembers its newest post moment and asks with since= from there; each followed
post remembers its newest comment and reads comments newest first (filter=stream: replies too, with their
parent) until it reaches it. Reactions, shares and comment counts are the engagement, the Page's
followers its reach. Commenters are private people: pseudonymised at ingest; only their name and id
are asked for, no profile.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import parse_qs, quote, urlsplit

from ..apis import ApiError, OptionError, count
from ..extract import normalise_text, parse_datetime
from ..items import Post
from .graph import GraphSpider

TOKEN_VARIABLE = "NEWSROOM_FACEBOOK_TOKEN"
POST_FIELDS = ",".join([
    "id", "message", "story", "created_time", "permalink_url", "full_picture", "status_type", "shares",
    "from{id,name}", "reactions.summary(total_count).limit(0)", "comments.summary(total_count).limit(0)",
])
COMMENT_FIELDS = "id,message,created_time,like_count,comment_count,permalink_url,parent{id},from{id,name}"


class FacebookSpider(GraphSpider):
    kind = "facebook"
    platform = "Facebook"
    token_variable = TOKEN_VARIABLE
    permissions = "a Page token with pages_read_engagement and pages_read_user_content (docs/platforms.md)"

    def configure(self) -> None:
        self.pages = [p.strip("/@") for p in self.options.texts("pages")]
        if not self.pages:
            raise OptionError("set pages: the ids or usernames of the Facebook Pages to read")
        self.edge = self.options.text("edge", "published_posts")
        if self.edge not in ("published_posts", "feed", "posts"):
            raise OptionError(f"option edge must be published_posts, posts or feed, got {self.edge!r}")
        self.comments = self.options.flag("comments", True)
        self.watch_for = self.options.duration("watch_comments", "7d")
        self.max_threads = self.options.integer("max_threads", 25, 0, 500)
        self.max_pages = self.options.integer("max_pages", 3, 1, 50)
        self.backfill = self.options.duration("backfill", "2d")
        self.configure_graph()
        self.newest: dict[str, float] = self.job.new_state.setdefault("newest", {})
        self.threads: dict[str, dict[str, Any]] = self.job.new_state.setdefault("threads", {})
        self.queued: set[str] = set()

    def first_requests(self) -> Iterable:
        for page in self.pages:
            yield self.api_request(
                self.graph_url(quote(page, safe=""), {"fields": "id,name,username,followers_count,fan_count"}),
                self.parse_page, cb_kwargs={"page": page, "what": f"Page {page}"},
            )
        cutoff = (self.job.started_at - self.watch_for).timestamp()
        for post_id in [p for p, t in self.threads.items() if t["created"] < cutoff]:
            del self.threads[post_id]  # too old to follow
        for thread in self.threads.values():
            thread["seen_comments"] = None  # unknown until a listing shows the post again

    def parse_page(self, response, page: str, what: str):
        info = self.json(response, dict)
        if not info.get("id"):
            raise ApiError(f"no id in the answer for {what}")
        since = self.newest.get(page) or (self.job.started_at - self.backfill).timestamp()
        params = {"fields": POST_FIELDS, "limit": 50, "since": int(since)}
        yield self.api_request(
            self.graph_url(f"{quote(str(info['id']), safe='')}/{self.edge}", params), self.parse_posts,
            cb_kwargs={"page": page, "info": info, "what": f"posts of {what}", "number": 1},
        )
        # Followed posts off this crawl's listing: their comments are read all the same.
        yield from self.comment_requests(None)

    def parse_posts(self, response, page: str, info: dict, what: str, number: int):
        data = self.json(response, dict)
        if not isinstance(data.get("data"), list):
            raise ApiError(f"expected a list of posts under 'data' for {what}")
        known = self.job.state.get("newest", {}).get(page, 0)
        reach = count(info.get("followers_count")) or count(info.get("fan_count"))
        fresh = []
        for entry in data["data"]:
            post = page_post(entry, page_name=info.get("name"), reach=reach)
            if post is None:
                continue
            moment = post["published_at"].timestamp()
            self.newest[page] = max(self.newest.get(page, 0), moment)
            self.follow(post)
            if moment > known and self.keep(post):
                fresh.append(post)
        for post in fresh:
            yield Post(post)
        link = self.next_page(data)
        if link and number < self.max_pages and self.may_continue(response):
            yield self.api_request(link, self.parse_posts,
                                   cb_kwargs={"page": page, "info": info, "what": what, "number": number + 1})
        yield from self.comment_requests(response)

    # --- comments and replies --------------------------------------------------------------------

    def follow(self, post: dict[str, Any]) -> None:
        if not self.comments or post["published_at"] < self.job.started_at - self.watch_for:
            return
        thread = self.threads.setdefault(post["external_id"], {
            "created": post["published_at"].timestamp(), "newest": 0, "comments": 0,
        })
        thread["url"] = post["url"]
        thread["seen_comments"] = post.get("replies") or 0

    def comment_requests(self, response) -> Iterable:
        """Followed posts whose comments are not asked for yet in this crawl, newest first."""
        if not self.comments or (response is not None and not self.may_continue(response)):
            return
        waiting = sorted((p for p in self.threads if p not in self.queued),
                         key=lambda p: self.threads[p]["created"], reverse=True)
        for post_id in waiting[:max(0, self.max_threads - len(self.queued))]:
            thread = self.threads[post_id]
            if thread.get("seen_comments") is not None and thread["seen_comments"] <= thread["comments"]:
                continue  # the listing says no new comments
            self.queued.add(post_id)
            params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological", "limit": 100}
            yield self.api_request(
                self.graph_url(f"{quote(post_id, safe='')}/comments", params), self.parse_comments,
                primary=False, cb_kwargs={"post_id": post_id, "what": f"comments of post {post_id}", "number": 1},
            )

    def parse_comments(self, response, post_id: str, what: str, number: int):
        data = self.json(response, dict)
        thread = self.threads[post_id]
        known = (self.job.state.get("threads", {}).get(post_id) or {}).get("newest", 0)
        reached_known = False
        for entry in data.get("data") or []:
            post = comment_post(entry, post_id, thread.get("url"))
            if post is None:
                continue
            moment = post["published_at"].timestamp()
            thread["newest"] = max(thread["newest"], moment)
            if moment <= known:
                reached_known = True
                continue
            if self.keep(post):
                yield Post(post)
        thread["comments"] = max(thread["comments"], thread.get("seen_comments") or 0)
        link = self.next_page(data)
        if link and not reached_known and number < self.max_pages and self.may_continue(response):
            yield self.api_request(link, self.parse_comments, primary=False,
                                   cb_kwargs={"post_id": post_id, "what": what, "number": number + 1})

    def credentials_help(self) -> str:
        return f"put a long-lived Page access token in {TOKEN_VARIABLE} or in the variable named by token_env"

    def hint(self, status: int, said: str, request) -> str | None:
        if status == 404 or "does not exist" in said:
            return f"{request.cb_kwargs.get('what', 'this object')} is unknown, or the token may not read it"
        return super().hint(status, said, request)


def page_post(entry: dict[str, Any], *, page_name: str | None = None, reach: int | None = None) -> dict[str, Any] | None:
    """A Page post as a post; the Page (from) is its author, its followers the reach."""
    published = parse_datetime(entry.get("created_time"))
    if not entry.get("id") or published is None:
        return None
    text = normalise_text(entry.get("message")) or normalise_text(entry.get("story"))
    author = entry.get("from") if isinstance(entry.get("from"), dict) else {}
    reactions = _summary(entry, "reactions")
    if reactions is None:  # older field sets ask each reaction separately: like, love, wow, haha, sad, angry
        parts = [_summary(entry, k) for k in ("like", "love", "wow", "haha", "sad", "angry", "care")]
        reactions = sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
    extra: dict[str, Any] = {}
    if entry.get("status_type"):
        extra["status_type"] = entry["status_type"]
    by_page = not author or author.get("name") == page_name
    return {
        "external_id": str(entry["id"]),
        "url": entry.get("permalink_url") or f"https://www.facebook.com/{entry['id']}",
        "title": None,
        "text": text,
        "author": normalise_text(author.get("name")) or page_name,
        "author_id": str(author["id"]) if author.get("id") else None,
        "author_reach": reach if by_page else None,
        "likes": reactions,
        "reposts": count((entry.get("shares") or {}).get("count")),
        "replies": _summary(entry, "comments"),
        "image_url": entry.get("full_picture"),
        "lang": None,
        "parent_external_id": None,
        "thread_url": None,
        "published_at": published,
        "extra": extra,
    }


def comment_post(entry: dict[str, Any], post_id: str, thread_url: str | None) -> dict[str, Any] | None:
    """A comment or reply as a post: a reply points to its comment, a comment to the Page post."""
    published = parse_datetime(entry.get("created_time"))
    text = normalise_text(entry.get("message"))
    comment_id, parent_id = _comment_ids(entry, post_id)
    if not comment_id or published is None or not text:
        return None  # a sticker or photo without words says nothing we can read
    author = entry.get("from") if isinstance(entry.get("from"), dict) else {}
    return {
        "external_id": comment_id,
        "url": entry.get("permalink_url") or f"https://www.facebook.com/{comment_id}",
        "title": None,
        "text": text,
        "author": normalise_text(author.get("name")) or None,
        "author_id": str(author["id"]) if author.get("id") else None,
        "author_reach": None,
        "likes": count(entry.get("like_count")),
        "reposts": None,
        "replies": count(entry.get("comment_count")),
        "image_url": None,
        "lang": None,
        "parent_external_id": parent_id,
        "thread_url": thread_url,
        "published_at": published,
        "extra": {"reply": parent_id != post_id},
    }


def _comment_ids(entry: dict[str, Any], post_id: str) -> tuple[str | None, str]:
    """(the comment's id, its parent's id). Graph ids of comments are "{post}_{comment}"; without an id
    field, the permalink's comment_id / reply_comment_id say the same."""
    local_post = post_id.split("_")[-1]
    parent = entry.get("parent") if isinstance(entry.get("parent"), dict) else {}
    query = parse_qs(urlsplit(entry.get("permalink_url") or "").query)
    comment = (query.get("comment_id") or [None])[0]
    reply = (query.get("reply_comment_id") or [None])[0]
    comment_id = str(entry["id"]) if entry.get("id") else None
    if comment_id is None and (reply or comment):
        comment_id = f"{local_post}_{reply or comment}"
    if parent.get("id"):
        return comment_id, str(parent["id"])
    if reply and comment:
        return comment_id, f"{local_post}_{comment}"
    return comment_id, post_id


def _summary(entry: dict[str, Any], field: str) -> int | None:
    value = entry.get(field)
    if isinstance(value, dict):
        return count((value.get("summary") or {}).get("total_count"))
    return None


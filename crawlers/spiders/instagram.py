"""Instagram: a business or creator account's media with their comments and replies, and hashtag search,
through the Instagram Graph API (Meta's Graph API).

Source options (TOML):
  url            the Graph API, "https://graph.facebook.com"
  account        the Instagram business or creator account's id (its IG user id, not the username)
  media          read the account's own media (default true)
  comments       read comments and replies of the account's recent media (default true)
  hashtags       hashtags to search (ig_hashtag_search, then recent_media or top_media); Instagram allows
                 30 different hashtags per account in 7 days: a configuration asking more is refused
  hashtag_edge   "recent_media" (last 24 hours; default) or "top_media"
  watch_comments how long after it was posted a medium's comments are followed (default "7d")
  max_threads    media whose comments are read per crawl (default 25)
  max_pages      pages per listing per crawl (default 3)
  api_version    the Graph API version, default "v21.0"
  usage_limit    percent of Meta's hourly share above which the spider asks only what it must (default 80)
  token_env      the variable with the access token (default NEWSROOM_INSTAGRAM_TOKEN): a Page token of the
                 Page linked to the account, with instagram_basic, instagram_manage_comments and
                 pages_read_engagement; see docs/platforms.md
  delay          seconds between requests (default: the crawl settings)

Incremental: each listing remembers its newest moment and stops there; each followed medium its
newest comment. A hashtag's id is looked up once (ig_hashtag_search counts towards the 30 a week) and
kept. Hashtag results carry no author (Instagram does not say who posted them); commenters are
private people: pseudonymised at ingest.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable
from urllib.parse import quote

from core.config.watch import INSTAGRAM_HASHTAGS_PER_WEEK

from ..apis import ApiError, OptionError, count
from ..extract import normalise_text, parse_datetime
from ..items import Post
from .graph import GraphSpider

TOKEN_VARIABLE = "NEWSROOM_INSTAGRAM_TOKEN"
MEDIA_FIELDS = "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,like_count,username,replies{id,text,timestamp,like_count,username}"
HASHTAG_WINDOW = timedelta(days=7)


class InstagramSpider(GraphSpider):
    kind = "instagram"
    platform = "Instagram"
    token_variable = TOKEN_VARIABLE
    permissions = ("a token with instagram_basic, instagram_manage_comments and pages_read_engagement "
                   "(docs/platforms.md)")

    def configure(self) -> None:
        self.account = self.options.text("account")
        if not self.account:
            raise OptionError("set account: the id of the Instagram business or creator account")
        self.media = self.options.flag("media", True)
        self.comments = self.options.flag("comments", True)
        self.hashtags = list(dict.fromkeys(t.lstrip("#").lower() for t in self.options.texts("hashtags")))
        if len(self.hashtags) > INSTAGRAM_HASHTAGS_PER_WEEK:
            raise OptionError(f"hashtags: {len(self.hashtags)} asked, Instagram allows "
                              f"{INSTAGRAM_HASHTAGS_PER_WEEK} per account in 7 days")
        self.edge = self.options.text("hashtag_edge", "recent_media")
        if self.edge not in ("recent_media", "top_media"):
            raise OptionError(f"option hashtag_edge must be recent_media or top_media, got {self.edge!r}")
        if not (self.media or self.hashtags):
            raise OptionError("set media = true or some hashtags")
        self.watch_for = self.options.duration("watch_comments", "7d")
        self.max_threads = self.options.integer("max_threads", 25, 0, 500)
        self.max_pages = self.options.integer("max_pages", 3, 1, 50)
        self.configure_graph()
        self.newest: dict[str, float] = self.job.new_state.setdefault("newest", {})
        self.threads: dict[str, dict[str, Any]] = self.job.new_state.setdefault("threads", {})
        self.tag_ids: dict[str, dict[str, Any]] = self.job.new_state.setdefault("hashtag_ids", {})
        self.queued: set[str] = set()

    def first_requests(self) -> Iterable:
        cutoff = (self.job.started_at - self.watch_for).timestamp()
        for media_id in [m for m, t in self.threads.items() if t["created"] < cutoff]:
            del self.threads[media_id]
        if self.media:
            yield self.api_request(
                self.graph_url(quote(self.account, safe=""), {"fields": "id,username,name,followers_count"}),
                self.parse_account, cb_kwargs={"what": f"account {self.account}"},
            )
        for tag in self.hashtags:
            known = self.tag_ids.get(tag)
            if known:
                yield self.hashtag_media(tag, known["id"])
            else:
                if self.searches_this_week() >= INSTAGRAM_HASHTAGS_PER_WEEK:
                    self.job.error(f"hashtag #{tag} overgeslagen: al {INSTAGRAM_HASHTAGS_PER_WEEK} hashtags "
                                   "opgezocht in de afgelopen 7 dagen (Instagram's limiet)")
                    continue
                yield self.api_request(
                    self.graph_url("ig_hashtag_search", {"user_id": self.account, "q": tag}),
                    self.parse_hashtag, cb_kwargs={"tag": tag, "what": f"hashtag #{tag}"},
                )

    def searches_this_week(self) -> int:
        since = (self.job.started_at - HASHTAG_WINDOW).timestamp()
        return sum(1 for t in self.tag_ids.values() if t.get("searched", 0) >= since)

    # --- the account's media and their comments --------------------------------------------------

    def parse_account(self, response, what: str):
        info = self.json(response, dict)
        if not info.get("id"):
            raise ApiError(f"no id in the answer for {what}")
        yield self.listing("media", self.graph_url(f"{quote(self.account, safe='')}/media",
                                                   {"fields": MEDIA_FIELDS, "limit": 50}), info=info)
        yield from self.comment_requests(None)

    def listing(self, key: str, url: str, *, info: dict | None = None, number: int = 1):
        return self.api_request(url, self.parse_media,
                                cb_kwargs={"key": key, "info": info, "what": key.replace("tag:", "hashtag #"),
                                           "number": number})

    def parse_media(self, response, key: str, info: dict | None, what: str, number: int):
        data = self.json(response, dict)
        if not isinstance(data.get("data"), list):
            raise ApiError(f"expected a list of media under 'data' for {what}")
        known = self.job.state.get("newest", {}).get(key, 0)
        reached_known = False
        for entry in data["data"]:
            post = media_post(entry, account=info, crawled_at=self.job.started_at)
            if post is None:
                continue
            moment = post["published_at"].timestamp()
            guessed = post["extra"].get("published_guessed")
            if not guessed:
                self.newest[key] = max(self.newest.get(key, 0), moment)
                if moment <= known:
                    reached_known = True
                    continue
            if info is not None:
                self.follow(post)
            if self.keep(post):
                yield Post(post)
        link = self.next_page(data)
        if link and not reached_known and number < self.max_pages and self.may_continue(response):
            yield self.listing(key, link, info=info, number=number + 1)
        if info is not None:
            yield from self.comment_requests(response)

    def follow(self, post: dict[str, Any]) -> None:
        if not self.comments or post["published_at"] < self.job.started_at - self.watch_for:
            return
        thread = self.threads.setdefault(post["external_id"], {
            "created": post["published_at"].timestamp(), "newest": 0,
        })
        thread["url"] = post["url"]

    def comment_requests(self, response) -> Iterable:
        if not self.comments or (response is not None and not self.may_continue(response)):
            return
        waiting = sorted((m for m in self.threads if m not in self.queued),
                         key=lambda m: self.threads[m]["created"], reverse=True)
        for media_id in waiting[:max(0, self.max_threads - len(self.queued))]:
            self.queued.add(media_id)
            yield self.api_request(
                self.graph_url(f"{quote(media_id, safe='')}/comments", {"fields": COMMENT_FIELDS, "limit": 50}),
                self.parse_comments, primary=False,
                cb_kwargs={"media_id": media_id, "what": f"comments of medium {media_id}", "number": 1},
            )

    def parse_comments(self, response, media_id: str, what: str, number: int):
        data = self.json(response, dict)
        thread = self.threads[media_id]
        known = (self.job.state.get("threads", {}).get(media_id) or {}).get("newest", 0)
        for entry in data.get("data") or []:
            replies = ((entry.get("replies") or {}).get("data") or []) if isinstance(entry, dict) else []
            for comment, parent in [(entry, media_id), *((r, str(entry.get("id"))) for r in replies)]:
                post = comment_post(comment, parent, thread.get("url"))
                if post is None:
                    continue
                moment = post["published_at"].timestamp()
                thread["newest"] = max(thread["newest"], moment)
                if moment > known and self.keep(post):
                    yield Post(post)
        link = self.next_page(data)
        if link and number < self.max_pages and self.may_continue(response):
            yield self.api_request(link, self.parse_comments, primary=False,
                                   cb_kwargs={"media_id": media_id, "what": what, "number": number + 1})

    # --- hashtags ----------------------------------------------------------------------------------

    def parse_hashtag(self, response, tag: str, what: str):
        found = self.json(response, dict).get("data") or []
        if not found or not isinstance(found[0], dict) or not found[0].get("id"):
            self.job.error(f"Instagram kent hashtag #{tag} niet")
            return
        self.tag_ids[tag] = {"id": str(found[0]["id"]), "searched": self.job.started_at.timestamp()}
        yield self.hashtag_media(tag, str(found[0]["id"]))

    def hashtag_media(self, tag: str, tag_id: str):
        params = {"user_id": self.account, "fields": MEDIA_FIELDS, "limit": 50}
        return self.listing(f"tag:{tag}", self.graph_url(f"{quote(tag_id, safe='')}/{self.edge}", params))

    def credentials_help(self) -> str:
        return f"put an access token in {TOKEN_VARIABLE} or in the variable named by token_env"


def media_post(entry: dict[str, Any], *, account: dict | None, crawled_at) -> dict[str, Any] | None:
    """A medium as a post. The account's own media have it as author; hashtag results have none.

    Hashtag results of older API versions carry no timestamp: then the crawl's moment stands in, flagged
    published_guessed (as the feed spider does for undated items)."""
    if not entry.get("id"):
        return None
    published = parse_datetime(entry.get("timestamp"))
    extra: dict[str, Any] = {"media_type": entry.get("media_type")} if entry.get("media_type") else {}
    if published is None:
        published = crawled_at
        extra["published_guessed"] = True
    image = entry.get("media_url") if entry.get("media_type") in ("IMAGE", "CAROUSEL_ALBUM") else entry.get("thumbnail_url")
    return {
        "external_id": str(entry["id"]),
        "url": entry.get("permalink") or f"https://www.instagram.com/{entry['id']}",
        "title": None,
        "text": normalise_text(entry.get("caption")),
        "author": (normalise_text(account.get("name")) or account.get("username")) if account else None,
        "author_id": account.get("username") if account else None,
        "author_reach": count(account.get("followers_count")) if account else None,
        "likes": count(entry.get("like_count")),
        "reposts": None,
        "replies": count(entry.get("comments_count")),
        "image_url": image,
        "lang": None,
        "parent_external_id": None,
        "thread_url": None,
        "published_at": published,
        "extra": extra,
    }


def comment_post(entry: dict[str, Any], parent_id: str, thread_url: str | None) -> dict[str, Any] | None:
    """A comment (parent: the medium) or a reply (parent: its comment) as a post."""
    published = parse_datetime(entry.get("timestamp"))
    text = normalise_text(entry.get("text"))
    if not entry.get("id") or published is None or not text:
        return None
    return {
        "external_id": str(entry["id"]),
        "url": None,  # comments have no address of their own; the medium's would make them its duplicates
        "title": None,
        "text": text,
        "author": entry.get("username"),
        "author_id": entry.get("username"),
        "author_reach": None,
        "likes": count(entry.get("like_count")),
        "reposts": None,
        "replies": None,
        "image_url": None,
        "lang": None,
        "parent_external_id": parent_id,
        "thread_url": thread_url,
        "published_at": published,
        "extra": {},
    }

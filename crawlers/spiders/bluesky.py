"""Bluesky: post search (app.bsky.feed.searchPosts) and author feeds, on the public AppView or logged in.

Source options (TOML; at least one of query, actors):
  url               the AppView, e.g. "https://public.api.bsky.app"
  query             search queries (q); sort=latest
  lang              only posts in this language (default: the watch's first language; "" for all)
  actors            handles or DIDs whose posts and reposts to follow (app.bsky.feed.getAuthorFeed)
  backfill          how far back the first crawl searches (default "1d")
  max_pages         pages of up to 100 posts per query per crawl (default 5; 1 when not logged in,
                    because the public AppView refuses cursors from anonymous clients)
  profiles          look up authors' follower counts with app.bsky.actor.getProfiles (default true)
  web_url           where permalinks point (default "https://bsky.app")
  pds               where to log in (default "https://bsky.social"); searches then go through it
  handle_env        variable with the login handle (default NEWSROOM_BLUESKY_HANDLE)
  app_password_env  variable with an app password (default NEWSROOM_BLUESKY_APP_PASSWORD)
  delay             seconds between requests (default: the crawl settings)

Bluesky often refuses search to anonymous clients (HTTP 403); an app password (Settings → Privacy and
security → App passwords) in the environment makes the spider log in with createSession first.

Incremental: each query remembers the newest post moment seen and asks with since= from there; each
actor the newest feed entry. A repost is stored as its original, once; a quote or a reply points to the
post it quotes or answers with parent_external_id.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urlencode

from scrapy.http import JsonRequest

from ..apis import ApiError, OptionError, count, mapping
from ..extract import language_code, normalise_text, parse_datetime
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

HANDLE_VARIABLE = "NEWSROOM_BLUESKY_HANDLE"
PASSWORD_VARIABLE = "NEWSROOM_BLUESKY_APP_PASSWORD"
PROFILES_PER_REQUEST = 25  # getProfiles' limit
OVERLAP = timedelta(minutes=5)


class BlueskySpider(PlatformSpider):
    kind = "bluesky"
    platform = "Bluesky"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        self.queries = self.options.texts("query")
        self.actors = [a.lstrip("@") for a in self.options.texts("actors")]
        if not (self.queries or self.actors):
            raise OptionError("set at least one of query or actors")
        languages = self.job.ingest.config.watch.languages
        self.lang = self.options.text("lang", languages[0] if languages else "")
        self.backfill = self.options.duration("backfill", "1d")
        self.web_url = (self.options.text("web_url", "https://bsky.app") or "").rstrip("/")
        self.pds = (self.options.text("pds", "https://bsky.social") or "").rstrip("/")
        self.profiles = self.options.flag("profiles", True)
        handle, self.handle_variable = self.options.secret("handle_env", HANDLE_VARIABLE)
        password, self.password_variable = self.options.secret("app_password_env", PASSWORD_VARIABLE)
        if bool(handle) != bool(password):
            present, missing = ((self.handle_variable, self.password_variable) if handle
                                else (self.password_variable, self.handle_variable))
            raise OptionError(f"{present} is set but {missing} is not: logging in to Bluesky needs both")
        self.login = (handle, password) if handle else None
        self.max_pages = self.options.integer("max_pages", 5 if self.login else 1, 1, 100)
        self.service = self.base_url  # where searches go: the AppView, or the PDS once logged in
        self.since: dict[str, str] = self.job.new_state.setdefault("since", {})
        self.reach: dict[str, int | None] = {}

    def credentials_help(self) -> str:
        return f"put a Bluesky handle in {HANDLE_VARIABLE} and an app password in {PASSWORD_VARIABLE}"

    def first_requests(self) -> Iterable:
        if self.login:
            yield self.api_request(
                f"{self.pds}/xrpc/com.atproto.server.createSession", self.logged_in,
                request_class=JsonRequest, data={"identifier": self.login[0], "password": self.login[1]},
                cb_kwargs={"what": "the login"},
            )
        else:
            yield from self.reads()

    def logged_in(self, response, what: str):
        session = self.json(response, dict)
        if not session.get("accessJwt"):
            raise ApiError("createSession answered without an accessJwt")
        variables = f"{self.handle_variable} and {self.password_variable}"
        self.use_credentials({"Authorization": f"Bearer {session['accessJwt']}"}, self.pds, variables)
        self.service = self.pds  # the PDS passes app.bsky.* calls on to the AppView for its users
        yield from self.reads()

    def reads(self) -> Iterable:
        for query in self.queries:
            yield self.search(query)
        for actor in self.actors:
            yield self.author_feed(actor)

    # --- search ------------------------------------------------------------------------------------

    def search(self, query: str, cursor: str | None = None, page: int = 1):
        known = parse_datetime(self.job.state.get("since", {}).get(f"q:{query}"))
        # Posts are found by the earlier of createdAt and indexedAt; one indexed late sorts before the
        # newest we saw, so ask again for a margin before it (what comes twice is a duplicate, not lost).
        since = _iso(known - OVERLAP) if known else _iso(self.job.started_at - self.backfill)
        params = {"q": query, "sort": "latest", "limit": 100, "since": since}
        if self.lang:
            params["lang"] = self.lang
        if cursor:
            params["cursor"] = cursor
        return self.api_request(
            f"{self.service}/xrpc/app.bsky.feed.searchPosts?{urlencode(params)}", self.parse_search,
            cb_kwargs={"query": query, "page": page, "what": f"search {query!r}"},
        )

    def parse_search(self, response, query: str, page: int, what: str):
        data = self.json(response, dict)
        views = [v for v in data.get("posts") or [] if isinstance(v, dict)]
        for view in views:
            moment = _sort_at(view)
            if moment and moment > self.since.get(f"q:{query}", ""):
                self.since[f"q:{query}"] = moment
        yield from self.with_reach([self.convert(post_view_post, v, self.web_url) for v in views])
        if views and data.get("cursor") and page < self.max_pages:
            yield self.search(query, cursor=data["cursor"], page=page + 1)

    # --- author feeds ------------------------------------------------------------------------------

    def author_feed(self, actor: str, cursor: str | None = None, page: int = 1):
        params = {"actor": actor, "limit": 100, "filter": "posts_with_replies"}
        if cursor:
            params["cursor"] = cursor
        return self.api_request(
            f"{self.service}/xrpc/app.bsky.feed.getAuthorFeed?{urlencode(params)}", self.parse_feed,
            cb_kwargs={"actor": actor, "page": page, "what": f"the feed of {actor}"},
        )

    def parse_feed(self, response, actor: str, page: int, what: str):
        data = self.json(response, dict)
        known = self.job.state.get("since", {}).get(f"actor:{actor}", "")
        posts, reached_known = [], False
        for item in data.get("feed") or []:
            if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
                continue
            # A repost's moment is when it was reposted; the post itself is the original.
            moment = mapping(item.get("reason")).get("indexedAt") or _sort_at(item["post"]) or ""
            if not isinstance(moment, str):
                continue
            if moment <= known:
                reached_known = True
                continue
            if moment > self.since.get(f"actor:{actor}", ""):
                self.since[f"actor:{actor}"] = moment
            posts.append(self.convert(post_view_post, item["post"], self.web_url))
        yield from self.with_reach(posts)
        if posts and not reached_known and data.get("cursor") and page < self.max_pages:
            yield self.author_feed(actor, cursor=data["cursor"], page=page + 1)

    # --- authors' reach ------------------------------------------------------------------------------

    def with_reach(self, posts: list[dict[str, Any] | None]):
        """Yield the posts, with author_reach from getProfiles for authors not looked up yet."""
        posts = [p for p in posts if self.keep(p)]
        waiting: dict[str, list[dict[str, Any]]] = {}
        for post in posts:
            did = author_did(post["external_id"])
            if not self.profiles or did in self.reach:
                post["author_reach"] = self.reach.get(did)
                yield Post(post)
            else:
                waiting.setdefault(did, []).append(post)
        dids = list(waiting)
        for start in range(0, len(dids), PROFILES_PER_REQUEST):
            chunk = dids[start:start + PROFILES_PER_REQUEST]
            query = urlencode([("actors", did) for did in chunk])
            yield self.api_request(
                f"{self.service}/xrpc/app.bsky.actor.getProfiles?{query}", self.parse_profiles, primary=False,
                cb_kwargs={"posts": [p for did in chunk for p in waiting[did]], "what": "author profiles"},
            )

    def parse_profiles(self, response, posts: list[dict[str, Any]], what: str):
        data = self.json(response, dict)
        for profile in data.get("profiles") or []:
            if isinstance(profile, dict) and profile.get("did"):
                self.reach[profile["did"]] = count(profile.get("followersCount"))
        for post in posts:
            post["author_reach"] = self.reach.get(author_did(post["external_id"]))
            yield Post(post)

    def api_request_failed(self, failure):
        """Profiles could not be looked up: count the error, store the posts without reach."""
        super().api_request_failed(failure)
        for post in failure.request.cb_kwargs.get("posts", []):
            yield Post(post)

    def hint(self, status: int, said: str, request) -> str | None:
        if status in (401, 403) and not self.carries_credentials(request.url) and "createSession" not in request.url:
            return f"Bluesky refuses this to anonymous clients; {self.credentials_help()}"
        if status == 401 and "createSession" in request.url:
            return (f"the login was refused: check {self.handle_variable} and {self.password_variable} "
                    "(an app password, not the account password)")
        return super().hint(status, said, request)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _sort_at(view: dict[str, Any]) -> str | None:
    """The moment Bluesky sorts and filters a post by: the earlier of createdAt and indexedAt, as text
    in the same ISO form both use (so plain string comparison orders them)."""
    created = parse_datetime(mapping(view.get("record")).get("createdAt"))
    indexed = parse_datetime(view.get("indexedAt"))
    moments = [m for m in (created, indexed) if m]
    return _iso(min(moments)) if moments else None


def author_did(at_uri: str) -> str:
    """at://did:plc:x/app.bsky.feed.post/3kabc -> did:plc:x"""
    return at_uri[len("at://"):].split("/", 1)[0]


def web_link(at_uri: str | None, web_url: str) -> str | None:
    """at://did:plc:x/app.bsky.feed.post/3kabc -> https://bsky.app/profile/did:plc:x/post/3kabc.

    bsky.app opens posts by DID as well as by handle; the DID keeps handles, which the store must not
    keep for private authors (core.privacy pseudonymises them), out of the link.
    """
    if not at_uri or not at_uri.startswith("at://"):
        return None
    parts = at_uri[len("at://"):].split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"{web_url}/profile/{parts[0]}/post/{parts[2]}"


def post_view_post(view: dict[str, Any], web_url: str) -> dict[str, Any] | None:
    """A postView (app.bsky.feed.defs#postView) as a post."""
    record = view.get("record") or {}
    author = view.get("author") or {}
    uri = view.get("uri")
    published = parse_datetime(record.get("createdAt"))
    indexed = parse_datetime(view.get("indexedAt"))
    if indexed and (published is None or published > indexed):
        published = indexed  # a createdAt in the future is the client's clock, not the post's moment
    if not uri or published is None or not author.get("did"):
        return None
    handle = author.get("handle") if author.get("handle") not in (None, "handle.invalid") else None
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri")
    quoted = _quoted_uri(record.get("embed") or {})
    extra: dict[str, Any] = {}
    if quoted:
        extra["quote_of"] = quoted
    if (view.get("quoteCount") or 0) > 0:
        extra["quotes"] = view["quoteCount"]
    tags = [f.get("tag") for facet in record.get("facets") or [] for f in facet.get("features") or []
            if isinstance(f, dict) and f.get("$type") == "app.bsky.richtext.facet#tag"]
    if tags:
        extra["tags"] = tags
    external = _external(view.get("embed") or {})
    if external.get("uri"):
        extra["link"] = external["uri"]
    langs = record.get("langs") or []
    return {
        "external_id": uri,
        "url": web_link(uri, web_url),
        "title": None,
        "text": normalise_text(record.get("text")),
        "author": normalise_text(author.get("displayName")) or handle or author["did"],
        "author_id": handle or author["did"],
        "author_reach": None,
        "likes": count(view.get("likeCount")),
        "reposts": count(view.get("repostCount")),
        "replies": count(view.get("replyCount")),
        "image_url": _image(view.get("embed") or {}) or external.get("thumb"),
        "lang": language_code(langs[0]) if langs and isinstance(langs[0], str) else None,
        "parent_external_id": parent or quoted,
        "thread_url": web_link(root, web_url) if root else None,
        "published_at": published,
        "extra": extra,
        # For core.ingest.privacy: the DIDs in the ids and links above, whose they are.
        "author_aliases": [author["did"]],
        "people": sorted({author_did(u) for u in (parent, root, quoted) if u and u.startswith("at://")}
                         - {author["did"]}),
    }


def _quoted_uri(embed: dict[str, Any]) -> str | None:
    """The post a record's embed quotes: app.bsky.embed.record, or recordWithMedia around one."""
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.record":
        return (embed.get("record") or {}).get("uri")
    if kind == "app.bsky.embed.recordWithMedia":
        return ((embed.get("record") or {}).get("record") or {}).get("uri")
    return None


def _image(embed: dict[str, Any]) -> str | None:
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.images#view":
        for image in embed.get("images") or []:
            if isinstance(image, dict) and (image.get("fullsize") or image.get("thumb")):
                return image.get("fullsize") or image.get("thumb")
    if kind == "app.bsky.embed.video#view":
        return embed.get("thumbnail")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return _image(embed.get("media") or {})
    return None


def _external(embed: dict[str, Any]) -> dict[str, Any]:
    if embed.get("$type") == "app.bsky.embed.external#view":
        return embed.get("external") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        return _external(embed.get("media") or {})
    return {}

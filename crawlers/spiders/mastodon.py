"""Mastodon: hashtag timelines, account timelines and (where the instance allows) search, on any instance.

Source options (TOML; at least one of hashtags, accounts, search):
  url         the instance, e.g. "https://mastodon.social"
  hashtags    tags to follow: /api/v1/timelines/tag/{tag}
  accounts    accounts whose posts (and boosts) to follow, e.g. ["gemeentegroningen", "rtvnoord@mastodon.nl"]
  search      full-text queries: /api/v2/search?type=statuses (many instances only search for logged-in
              clients, or only posts of accounts that allow it)
  max_pages   pages of 40 statuses per timeline per crawl (default 5)
  token_env   the environment variable holding an access token (default NEWSROOM_MASTODON_TOKEN; a token
              belongs to one instance, so with sources on several instances give each its own variable)
  delay       seconds between requests to this instance (default: the crawl settings)

Incremental: each timeline remembers the newest status id; the next crawl asks for what came after it
with min_id and pages forward along the Link header's rel="prev". The first crawl reads the newest page
and pages back along rel="next". A boost is stored as its original post, once.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote, urlencode, urlsplit

from ..apis import ApiError, OptionError, count, parse_link_header
from ..extract import html_to_text, language_code, normalise_text, parse_datetime
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

TOKEN_VARIABLE = "NEWSROOM_MASTODON_TOKEN"
PAGE = 40  # the most Mastodon returns per page


class MastodonSpider(PlatformSpider):
    kind = "mastodon"
    platform = "Mastodon"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        self.hashtags = [t.lstrip("#") for t in self.options.texts("hashtags")]
        self.accounts = [a.lstrip("@") for a in self.options.texts("accounts")]
        self.searches = self.options.texts("search")
        if not (self.hashtags or self.accounts or self.searches):
            raise OptionError("set at least one of hashtags, accounts or search")
        self.max_pages = self.options.integer("max_pages", 5, 1, 100)
        token, variable = self.options.secret("token_env", TOKEN_VARIABLE)
        if token:
            if not self.options.text("token_env"):
                self.default_secret_is_shared("token_env", TOKEN_VARIABLE)
            self.use_credentials({"Authorization": f"Bearer {token}"}, self.base_url, variable)
        self.newest: dict[str, str] = self.job.new_state.setdefault("newest", {})
        self.host = urlsplit(self.base_url).netloc

    def credentials_help(self) -> str:
        return (f"put an access token (scope read) of an account on {self.host} in {TOKEN_VARIABLE} "
                "or in the variable named by token_env")

    def first_requests(self) -> Iterable:
        for tag in self.hashtags:
            yield self.timeline(f"tag:{tag}", f"/api/v1/timelines/tag/{quote(tag, safe='')}", what=f"hashtag #{tag}")
        for account in self.accounts:
            known = self.job.state.get("account_ids", {}).get(account)
            if known:
                yield self.account_timeline(account, known)
            else:
                yield self.api_request(
                    self._url("/api/v1/accounts/lookup", {"acct": account}), self.parse_account,
                    cb_kwargs={"account": account, "what": f"account @{account}"},
                )
        for query in self.searches:
            yield self.search(query)

    # --- timelines (hashtags, accounts) ------------------------------------------------------------

    def timeline(self, key: str, path: str, *, what: str, extra: dict[str, str] | None = None):
        params = {"limit": PAGE, **(extra or {})}
        if self.newest.get(key):
            params["min_id"] = self.newest[key]
        return self.api_request(
            self._url(path, params), self.parse_timeline,
            cb_kwargs={"key": key, "what": what, "page": 1, "forward": "min_id" in params},
        )

    def account_timeline(self, account: str, account_id: str):
        return self.timeline(f"account:{account}", f"/api/v1/accounts/{quote(account_id, safe='')}/statuses",
                             what=f"account @{account}")

    def parse_account(self, response, account: str, what: str):
        data = self.json(response, dict)
        if not data.get("id"):
            raise ApiError(f"no account id in the answer for @{account}")
        self.job.new_state.setdefault("account_ids", {})[account] = str(data["id"])
        yield self.account_timeline(account, str(data["id"]))

    def parse_timeline(self, response, key: str, what: str, page: int, forward: bool):
        statuses = self.json(response, list)
        yield from self.statuses(statuses, key)
        if not statuses or page >= self.max_pages:
            return
        # Forward (min_id) pages go towards newer posts (rel="prev"), the first crawl back in time (rel="next").
        link = parse_link_header(response.headers.get(b"Link")).get("prev" if forward else "next")
        if link:
            yield self.api_request(
                link, self.parse_timeline, cb_kwargs={"key": key, "what": what, "page": page + 1, "forward": forward},
            )

    # --- search ------------------------------------------------------------------------------------

    def search(self, query: str, max_id: str | None = None, page: int = 1):
        key = f"search:{query}"
        params: dict[str, Any] = {"q": query, "type": "statuses", "limit": PAGE, "resolve": "false"}
        if self.job.state.get("newest", {}).get(key):
            params["min_id"] = self.job.state["newest"][key]
        if max_id:
            params["max_id"] = max_id
        return self.api_request(
            self._url("/api/v2/search", params), self.parse_search,
            cb_kwargs={"query": query, "page": page, "what": f"search {query!r}"},
        )

    def parse_search(self, response, query: str, page: int, what: str):
        data = self.json(response, dict)
        statuses = data.get("statuses") or []
        yield from self.statuses(statuses, f"search:{query}")
        # Search answers carry no Link header: page back from the oldest result down to min_id.
        if len(statuses) >= PAGE and page < self.max_pages:
            oldest = min((str(s["id"]) for s in statuses if s.get("id")), key=_id_order, default=None)
            if oldest:
                yield self.search(query, max_id=oldest, page=page + 1)

    # --- both ----------------------------------------------------------------------------------------

    def statuses(self, statuses: list, key: str):
        for status in statuses:
            if not isinstance(status, dict) or not status.get("id"):
                continue
            # Paging follows the timeline's own entries (a boost has an id of its own).
            if _id_order(str(status["id"])) > _id_order(self.newest.get(key, "")):
                self.newest[key] = str(status["id"])
            post = self.convert(status_post, status, self.base_url)
            if self.keep(post):
                yield Post(post)

    def hint(self, status: int, said: str, request) -> str | None:
        what = request.cb_kwargs.get("what", "this timeline")
        if status == 404:
            return f"{what} is not known on {self.host}"
        if status in (401, 403) and what.startswith("search") and not self.carries_credentials(request.url):
            return f"{self.host} only searches for logged-in clients; {self.credentials_help()}"
        return super().hint(status, said, request)

    def _url(self, path: str, params: dict[str, Any]) -> str:
        return f"{self.base_url}{path}?{urlencode(params)}"


def _id_order(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numbers as strings (snowflakes): longer is newer, then by text."""
    return (len(status_id), status_id)


def status_post(status: dict[str, Any], instance: str) -> dict[str, Any] | None:
    """A status (or a boost of one) as a post: the original post, with its own id and counts.

    `instance` is the instance's address. Links are the instance's /statuses/{id} pages rather than the
    status's own url (https://host/@handle/id): they open the same post and hold no handle, which the
    store must not keep for private authors (core.privacy pseudonymises them).
    """
    original = status.get("reblog") if isinstance(status.get("reblog"), dict) else status
    # Only what the author published for everyone; with a token, timelines can hold followers-only posts.
    if original.get("visibility", "public") not in ("public", "unlisted"):
        return None
    published = parse_datetime(original.get("created_at"))
    if not original.get("id") or published is None:
        return None
    account = original.get("account") or {}
    text = html_to_text(original.get("content"))
    warning = normalise_text(original.get("spoiler_text"))
    if warning:  # a content warning is the author's words too, and often the gist
        text = f"{warning}\n{text}" if text else warning
    poll = original.get("poll") or {}
    options = [normalise_text(o.get("title")) for o in poll.get("options") or [] if isinstance(o, dict)]
    if options:
        text += "\n" + "\n".join(f"- {o}" for o in options if o)
    quoted = _quoted(original)
    extra: dict[str, Any] = {"instance": urlsplit(instance).netloc}
    tags = [t.get("name") for t in original.get("tags") or [] if isinstance(t, dict) and t.get("name")]
    if tags:
        extra["tags"] = tags
    card = original.get("card") or {}
    if card.get("url"):
        extra["link"] = card["url"]
    if quoted and quoted.get("id"):
        extra["quote_of"] = f"{instance}/statuses/{quoted['id']}"
    if account.get("bot"):
        extra["bot"] = True
    if original.get("edited_at"):
        extra["edited_at"] = original["edited_at"]
    return {
        "external_id": str(original["id"]),
        "url": f"{instance}/statuses/{original['id']}",
        "title": None,
        "text": text,
        "author": normalise_text(account.get("display_name")) or account.get("username"),
        "author_id": account.get("acct") or account.get("username"),
        "author_reach": count(account.get("followers_count")),
        "likes": count(original.get("favourites_count")),
        "reposts": count(original.get("reblogs_count")),
        "replies": count(original.get("replies_count")),
        "image_url": _image(original),
        "lang": language_code(original.get("language")),
        "parent_external_id": _str_or_none(original.get("in_reply_to_id")) or _str_or_none((quoted or {}).get("id")),
        "thread_url": None,
        "published_at": published,
        "extra": extra,
    }


def _quoted(status: dict[str, Any]) -> dict[str, Any] | None:
    """The status a quote post quotes (Mastodon 4.5: quote.quoted_status), when it may be shown."""
    quote = status.get("quote")
    if isinstance(quote, dict) and isinstance(quote.get("quoted_status"), dict):
        return quote["quoted_status"]
    return None


def _image(status: dict[str, Any]) -> str | None:
    for media in status.get("media_attachments") or []:
        if isinstance(media, dict) and media.get("type") == "image":
            return media.get("url") or media.get("remote_url") or media.get("preview_url")
    for media in status.get("media_attachments") or []:
        if isinstance(media, dict) and media.get("type") in ("gifv", "video") and media.get("preview_url"):
            return media["preview_url"]
    card = status.get("card") or {}
    return card.get("image") or None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None

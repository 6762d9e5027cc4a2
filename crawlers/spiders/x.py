"""X (Twitter): recent search for the watch terms, accounts' timelines and the replies to their posts,
through the X API v2, within a monthly read budget.

Source options (TOML):
  url             the API, "https://api.x.com"
  query           search queries (X's query syntax); default: the watch terms, OR-ed
  lang            only posts in this language, "lang:nl" (default: the watch's first language; "" for all)
  retweets        include retweets in search (default false: "-is:retweet"; the originals count)
  accounts        usernames whose timelines to read, e.g. ["gemeentegroningen"]
  replies         read the replies to the accounts' recent posts via conversation_id (default true)
  watch_replies   how long after it was posted a post's replies are followed (default "3d"; recent
                  search reaches 7 days back)
  max_pages       pages of up to 100 posts per query or timeline per crawl (default 3)
  monthly_reads   posts this source may read per calendar month (default NEWSROOM_X_MONTHLY_READS,
                  shared evenly by the x sources); spent evenly over the month
  token_env       the variable with the app's bearer token (default NEWSROOM_X_TOKEN)
  delay           seconds between requests (default: the crawl settings)

Incremental: every query, timeline and followed conversation remembers the newest post id and asks with
since_id. X counts every post an answer holds (expansions included) against the tier's monthly cap: the
spider counts them the same way, asks for no more than its even share (plus one crawl interval) and
keeps the budget in the source's state, shown in source health. x-rate-limit-* headers pause the host
until the reset (crawlers.middlewares). Authors are pseudonymised at ingest unless public by role; links
use x.com/i/status/ID, which holds no handle.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import quote, urlencode

from scrapy.exceptions import DontCloseSpider

from core.config.settings import get_settings

from ..apis import ApiError, OptionError, count
from ..budget import Budget
from ..extract import language_code, normalise_text, parse_datetime
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

TOKEN_VARIABLE = "NEWSROOM_X_TOKEN"
TWEET_FIELDS = "created_at,author_id,conversation_id,public_metrics,lang,referenced_tweets,attachments,note_tweet"
EXPANSIONS = "author_id,attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id"
USER_FIELDS = "name,username,public_metrics"
MEDIA_FIELDS = "type,url,preview_image_url"
MAX_QUERY = 512  # characters of a query on the Basic tier
CONVERSATIONS_PER_QUERY = 8


def id_order(tweet_id: str | None) -> int:
    try:
        return int(tweet_id or 0)
    except ValueError:
        return 0


def default_query(terms: list[str]) -> str:
    """The watch terms as one X query: (Groningen OR "Grote Markt" OR #groningen)."""
    parts = [f'"{t}"' if " " in t and not t.startswith('"') else t for t in terms]
    return f"({' OR '.join(parts)})" if len(parts) > 1 else parts[0]


class XSpider(PlatformSpider):
    kind = "x"
    platform = "X"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        watch = self.job.ingest.config.watch
        self.queries = self.options.texts("query") or [default_query(watch.terms)]
        lang = self.options.text("lang", watch.languages[0] if watch.languages else "")
        self.suffix = (f" lang:{lang}" if lang else "") + ("" if self.options.flag("retweets", False) else " -is:retweet")
        for query in self.queries:
            if len(query + self.suffix) > MAX_QUERY:
                raise OptionError(f"query {query!r} is longer than X's {MAX_QUERY} characters")
        self.accounts = [a.lstrip("@").lower() for a in self.options.texts("accounts")]
        self.replies = self.options.flag("replies", True)
        self.watch_for = self.options.duration("watch_replies", "3d")
        self.max_pages = self.options.integer("max_pages", 3, 1, 50)
        token, variable = self.options.secret("token_env", TOKEN_VARIABLE)
        if not token:
            raise OptionError(f"no bearer token: put the app's bearer token in {variable} (see docs/platforms.md)")
        self.use_credentials({"Authorization": f"Bearer {token}"}, self.base_url, variable)
        siblings = sum(1 for s in self.job.ingest.config.sources if s.kind == "x" and s.enabled) or 1
        limit = self.options.integer("monthly_reads", get_settings().x_monthly_reads // siblings, 0, 100_000_000)
        now = datetime.now(timezone.utc)
        self.budget = Budget.load(self.job.state.get("budget"), unit="posts", period="month", limit=limit,
                                  tz="UTC", now=now)
        self.allowance = self.budget.allowance(now, self.job.source.interval)
        self.used_before = self.budget.used
        self.over_budget = False
        self.newest: dict[str, str] = self.job.new_state.setdefault("newest", {})
        self.conversations: dict[str, dict[str, Any]] = self.job.new_state.setdefault("conversations", {})
        self.user_ids: dict[str, str] = self.job.new_state.setdefault("user_ids", {})
        self.reply_phase = False

    def credentials_help(self) -> str:
        return f"put the app's bearer token in {TOKEN_VARIABLE} or in the variable named by token_env"

    def token_expired(self, status: int, body: bytes, request) -> bool:
        return status == 401

    # --- the budget --------------------------------------------------------------------------------

    def page_size(self, least: int) -> int | None:
        """How many posts the next request may ask for, or None when the allowance is spent."""
        left = self.allowance - self.spent
        if left < least:
            if not self.over_budget:
                self.over_budget = True
                resets = self.budget.resets_at(datetime.now(timezone.utc))
                self.job.counts.messages.append(
                    f"X-leesbudget: deze crawl is zijn gelijkmatige deel op ({self.budget.used} van "
                    f"{self.budget.limit} posts deze maand gelezen); de rest wacht op een volgende crawl "
                    f"(budget vernieuwt {resets:%Y-%m-%d})"
                )
            return None
        return min(100, left)

    @property
    def spent(self) -> int:
        return self.budget.used - self.used_before

    # --- requests ------------------------------------------------------------------------------------

    def first_requests(self) -> Iterable:
        for query in self.queries:
            request = self.search(f"search:{query}", query + self.suffix, what=f"search {query!r}")
            if request is not None:
                yield request
        missing = [a for a in self.accounts if a not in self.user_ids]
        known = [a for a in self.accounts if a in self.user_ids]
        if missing:
            yield self.api_request(
                f"{self.base_url}/2/users/by?{urlencode({'usernames': ','.join(missing), 'user.fields': USER_FIELDS})}",
                self.parse_users, cb_kwargs={"what": f"accounts {', '.join(missing)}"},
            )
        for account in known:
            request = self.timeline(account)
            if request is not None:
                yield request

    def _idle(self, spider) -> None:
        """Searches and timelines are read (and the budget spent on them first): now the replies, once."""
        if spider is not self or self.reply_phase or self.job.failed or not self.replies:
            return
        self.reply_phase = True
        requests = list(self.conversation_requests())
        if requests:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def fields(self) -> dict[str, str]:
        return {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS,
                "media.fields": MEDIA_FIELDS}

    def search(self, key: str, query: str, *, what: str, token: str | None = None, page: int = 1,
               primary: bool = True):
        size = self.page_size(10)
        if size is None:
            return None
        params = {"query": query, "max_results": size, **self.fields()}
        if self.job.state.get("newest", {}).get(key):
            params["since_id"] = self.job.state["newest"][key]
        if token:
            params["next_token"] = token
        return self.api_request(
            f"{self.base_url}/2/tweets/search/recent?{urlencode(params)}", self.parse_tweets, primary=primary,
            cb_kwargs={"key": key, "what": what, "page": page, "again": {"kind": "search", "query": query}},
        )

    def parse_users(self, response, what: str):
        data = self.json(response, dict)
        asked = set(self.accounts) - set(self.user_ids)
        for user in data.get("data") or []:
            if isinstance(user, dict) and user.get("id") and user.get("username"):
                self.user_ids[user["username"].lower()] = str(user["id"])
        for error in data.get("errors") or []:
            if isinstance(error, dict):
                self.job.error(f"X account {error.get('value')}: {error.get('detail') or error.get('title')}")
        for account in self.accounts:
            if account in asked and account in self.user_ids:
                request = self.timeline(account)
                if request is not None:
                    yield request

    def timeline(self, account: str, token: str | None = None, page: int = 1):
        size = self.page_size(5)
        if size is None:
            return None
        key = f"user:{account}"
        params = {"max_results": size, **self.fields()}
        if self.job.state.get("newest", {}).get(key):
            params["since_id"] = self.job.state["newest"][key]
        if token:
            params["pagination_token"] = token
        user_id = self.user_ids[account]
        return self.api_request(
            f"{self.base_url}/2/users/{quote(user_id, safe='')}/tweets?{urlencode(params)}", self.parse_tweets,
            cb_kwargs={"key": key, "what": f"timeline of @{account}", "page": page,
                       "again": {"kind": "timeline", "account": account}},
        )

    def conversation_requests(self) -> Iterable:
        """Replies to followed posts: one recent search per few conversations (conversation_id:…)."""
        if not self.replies:
            return
        cutoff = (self.job.started_at - self.watch_for).timestamp()
        for conversation in [c for c, v in self.conversations.items() if v["created"] < cutoff]:
            del self.conversations[conversation]
        pending = sorted(self.conversations, key=id_order, reverse=True)
        for start in range(0, len(pending), CONVERSATIONS_PER_QUERY):
            batch = pending[start:start + CONVERSATIONS_PER_QUERY]
            query = " OR ".join(f"conversation_id:{c}" for c in batch)
            request = self.search(f"conversations:{','.join(batch)}", query, what="replies", primary=False)
            if request is None:
                return
            # The oldest newest-reply of the batch bounds it; each conversation filters its own below.
            known = [self.job.state.get("conversations", {}).get(c, {}).get("newest") for c in batch]
            if all(known):
                request = request.replace(url=_with(request.url, "since_id", min(known, key=id_order)))
            yield request

    def parse_tweets(self, response, key: str, what: str, page: int, again: dict[str, str]):
        data = self.json(response, dict)
        tweets = data.get("data") or []
        if not isinstance(tweets, list):
            raise ApiError(f"expected a list of posts under 'data' for {what}")
        if not tweets and data.get("errors") and not data.get("meta"):
            raise ApiError("; ".join(str(e.get("detail") or e.get("title")) for e in data["errors"] if isinstance(e, dict)))
        includes = data.get("includes") or {}
        self.budget.spend(len(tweets) + len(includes.get("tweets") or []))
        found = Expansions(includes)
        for tweet in tweets:
            if not isinstance(tweet, dict) or not tweet.get("id"):
                continue
            if id_order(tweet["id"]) > id_order(self.newest.get(key)) and not key.startswith("conversations:"):
                self.newest[key] = str(tweet["id"])
            conversation = self.conversations.get(str(tweet.get("conversation_id")))
            if conversation is not None and key.startswith("conversations:"):
                if id_order(tweet["id"]) <= id_order(self.job.state.get("conversations", {})
                                                     .get(tweet["conversation_id"], {}).get("newest")):
                    continue
                if id_order(tweet["id"]) > id_order(conversation.get("newest")):
                    conversation["newest"] = str(tweet["id"])
            post = tweet_post(tweet, found)
            if post is None:
                continue
            if key.startswith("user:") and self.replies and tweet.get("conversation_id") == tweet["id"]:
                if post["published_at"] >= self.job.started_at - self.watch_for:
                    self.conversations.setdefault(str(tweet["id"]), {"created": post["published_at"].timestamp(),
                                                                     "newest": None})
            if self.keep(post):
                yield Post(post)
        token = (data.get("meta") or {}).get("next_token")
        if token and page < self.max_pages:
            if again["kind"] == "search":
                request = self.search(key, again["query"], what=what, token=token, page=page + 1,
                                      primary=not key.startswith("conversations:"))
            else:
                request = self.timeline(again["account"], token=token, page=page + 1)
            if request is not None:
                yield request

    def hint(self, status: int, said: str, request) -> str | None:
        if status == 403:
            return "the app's access level may not use this endpoint (X's tiers); check the project in the developer portal"
        return super().hint(status, said, request)


def _with(url: str, name: str, value: str) -> str:
    return f"{url}&{urlencode({name: value})}"


class Expansions:
    """An answer's includes, by id: users, media and the posts it refers to."""

    def __init__(self, includes: dict[str, Any]):
        self.users = {u["id"]: u for u in includes.get("users") or [] if isinstance(u, dict) and u.get("id")}
        self.media = {m["media_key"]: m for m in includes.get("media") or [] if isinstance(m, dict) and m.get("media_key")}
        self.tweets = {t["id"]: t for t in includes.get("tweets") or [] if isinstance(t, dict) and t.get("id")}


def tweet_post(tweet: dict[str, Any], found: Expansions | None = None) -> dict[str, Any] | None:
    """A post (or the original of a retweet, found in the expansions) as a post."""
    found = found or Expansions({})
    references = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
    if "retweeted" in references:
        original = found.tweets.get(references["retweeted"])
        return tweet_post(original, found) if original and "retweeted" not in str(original.get("referenced_tweets")) else None
    published = parse_datetime(tweet.get("created_at"))
    if not tweet.get("id") or published is None:
        return None
    author = found.users.get(str(tweet.get("author_id")), {})
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = normalise_text(html.unescape(note.get("text") or tweet.get("text") or ""))
    metrics = tweet.get("public_metrics") or {}
    reposts = [count(metrics.get(k)) for k in ("retweet_count", "quote_count")]
    extra: dict[str, Any] = {}
    if tweet.get("conversation_id"):
        extra["conversation_id"] = str(tweet["conversation_id"])
    if "quoted" in references:
        extra["quote_of"] = references["quoted"]
    if count(metrics.get("impression_count")) is not None:
        extra["impressions"] = count(metrics.get("impression_count"))
    return {
        "external_id": str(tweet["id"]),
        "url": f"https://x.com/i/status/{tweet['id']}",
        "title": None,
        "text": text,
        "author": normalise_text(author.get("name")) or author.get("username") or None,
        "author_id": author.get("username") or (str(tweet["author_id"]) if tweet.get("author_id") else None),
        "author_reach": count((author.get("public_metrics") or {}).get("followers_count")),
        "likes": count(metrics.get("like_count")),
        "reposts": sum(r for r in reposts if r is not None) if any(r is not None for r in reposts) else None,
        "replies": count(metrics.get("reply_count")),
        "image_url": _image(tweet, found),
        "lang": language_code(tweet.get("lang")) if tweet.get("lang") not in ("und", "zxx", "qme", "qht") else None,
        "parent_external_id": references.get("replied_to") or references.get("quoted"),
        "thread_url": (f"https://x.com/i/status/{tweet['conversation_id']}"
                       if tweet.get("conversation_id") and tweet.get("conversation_id") != tweet["id"] else None),
        "published_at": published,
        "extra": extra,
    }


def _image(tweet: dict[str, Any], found: Expansions) -> str | None:
    for key in (tweet.get("attachments") or {}).get("media_keys") or []:
        media = found.media.get(key) or {}
        if media.get("url") or media.get("preview_image_url"):
            return media.get("url") or media.get("preview_image_url")
    return None

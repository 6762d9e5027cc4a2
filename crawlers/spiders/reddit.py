"""Reddit: new submissions of subreddits, site search, and the comments of the threads being watched.

Source options (TOML; at least one of subreddits, search):
  url                 Reddit, "https://www.reddit.com"
  subreddits          names, e.g. ["groningen"]: /r/{name}/new.json
  search              site-wide queries: /search.json?q=…&sort=new
  comments            also read the comments of recent threads (default true)
  watch_comments      how long after it was posted a thread's comments are followed (default "3d")
  max_threads         threads whose comments are read per crawl (default 25)
  max_pages           listing pages of 100 per subreddit or query per crawl (default 3)
  user_agent          the User-Agent to send (default NEWSROOM_USER_AGENT); Reddit asks for a
                      descriptive one such as "server:newsroom-groningen:1.0 (by /u/gemeente_groningen)"
  client_id_env       variable with the client id of a Reddit app (default NEWSROOM_REDDIT_CLIENT_ID)
  client_secret_env   variable with its secret (default NEWSROOM_REDDIT_CLIENT_SECRET); with both the
                      spider gets an app-only OAuth token and reads through oauth_url
  token_url           default "https://www.reddit.com/api/v1/access_token"
  oauth_url           default "https://oauth.reddit.com"
  delay               seconds between requests (default: the crawl settings)

Incremental by fullname: each listing remembers its newest submission (t3_…); the next crawl reads from
the top down to it (by comparing base-36 ids, so a deleted newest submission cannot stall the listing as
`before=` would). A watched thread remembers its comment count and newest comment; its comments are read
again when the count grew (one /api/info.json request refreshes the counts of threads off the listing).
"""
from __future__ import annotations

import base64
import re
from typing import Any, Iterable
from urllib.parse import quote, urlencode

from scrapy.exceptions import DontCloseSpider
from scrapy.http import FormRequest

from ..apis import ApiError, OptionError, count, epoch_to_datetime, listing, mapping
from ..extract import html_to_text, normalise_text
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

CLIENT_ID_VARIABLE = "NEWSROOM_REDDIT_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "NEWSROOM_REDDIT_CLIENT_SECRET"
GONE = ("[deleted]", "[removed]")
INFO_BATCH = 100  # /api/info.json takes up to 100 fullnames
REDIRECTS = [301, 302, 303, 307, 308]
# "/u/name" and "/r/name" are Reddit's long forms of u/name and r/name; the short form is what mention
# handling (core.privacy) recognises.
_LONG_REFERENCE = re.compile(r"(?<![\w/])/([ur]/[A-Za-z0-9_\-]{2,21})")


def id_number(thing_id: str) -> int:
    """Reddit ids are base 36 and grow with time: 't3_1kx9za' -> a comparable number."""
    try:
        return int(thing_id.split("_", 1)[-1], 36)
    except ValueError:
        return -1


class RedditSpider(PlatformSpider):
    kind = "reddit"
    platform = "Reddit"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        self.subreddits = [s.removeprefix("/").removeprefix("r/") for s in self.options.texts("subreddits")]
        self.searches = self.options.texts("search")
        if not (self.subreddits or self.searches):
            raise OptionError("set at least one of subreddits or search")
        self.comments = self.options.flag("comments", True)
        self.watch_for = self.options.duration("watch_comments", "3d")
        self.max_threads = self.options.integer("max_threads", 25, 0, 500)
        self.max_pages = self.options.integer("max_pages", 3, 1, 50)
        self.user_agent = self.options.text("user_agent")
        client_id, id_variable = self.options.secret("client_id_env", CLIENT_ID_VARIABLE)
        secret, secret_variable = self.options.secret("client_secret_env", CLIENT_SECRET_VARIABLE)
        if bool(client_id) != bool(secret):
            present, missing = (id_variable, secret_variable) if client_id else (secret_variable, id_variable)
            raise OptionError(f"{present} is set but {missing} is not: a Reddit app login needs both")
        self.app = (client_id, secret, f"{id_variable} and {secret_variable}") if client_id else None
        self.token_url = self.options.text("token_url", "https://www.reddit.com/api/v1/access_token")
        self.api = self.base_url  # where listings are read: Reddit itself, or oauth_url once logged in
        self.oauth_url = (self.options.text("oauth_url", "https://oauth.reddit.com") or "").rstrip("/")
        self.newest: dict[str, str] = self.job.new_state.setdefault("newest", {})
        self.threads: dict[str, dict[str, Any]] = self.job.new_state.setdefault("threads", {})
        self.seen_counts: dict[str, int] = {}  # thread fullname -> num_comments in this crawl's listings
        self.queued: set[str] = set()  # threads whose comments were asked for in this crawl
        self.comment_phase = False

    def credentials_help(self) -> str:
        return (f"create a Reddit app (type 'script' or 'web') and put its client id in {CLIENT_ID_VARIABLE} "
                f"and its secret in {CLIENT_SECRET_VARIABLE}")

    def api_request(self, url, callback, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.user_agent:
            headers.setdefault("User-Agent", self.user_agent)
        return super().api_request(url, callback, headers=headers, **kwargs)

    def first_requests(self) -> Iterable:
        if self.app:
            client_id, secret, variables = self.app
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
            yield self.api_request(
                self.token_url, self.logged_in, request_class=FormRequest,
                formdata={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"},
                cb_kwargs={"what": "the app login"},
            )
        else:
            yield from self.listings()

    def logged_in(self, response, what: str):
        token = self.json(response, dict).get("access_token")
        if not token:
            raise ApiError(f"the token answer holds no access_token: {self.json(response, dict).get('error')}")
        self.api = self.oauth_url
        self.use_credentials({"Authorization": f"Bearer {token}"}, self.oauth_url, self.app[2])
        yield from self.listings()

    def listings(self) -> Iterable:
        for name in self.subreddits:
            yield self.listing(f"r/{name}", f"/r/{quote(name)}/new.json", {}, what=f"r/{name}")
        for query in self.searches:
            yield self.listing(f"search:{query}", "/search.json", {"q": query, "sort": "new", "type": "link"},
                               what=f"search {query!r}")

    # --- listings ------------------------------------------------------------------------------------

    def listing(self, key: str, path: str, params: dict[str, str], *, what: str, after: str | None = None, page: int = 1):
        query = {**params, "limit": 100, "raw_json": 1}
        if after:
            query["after"] = after
        return self.api_request(
            f"{self.api}{path}?{urlencode(query)}", self.parse_listing,
            # Reddit answers an unknown subreddit with a redirect to its subreddit search: catch it.
            meta={"dont_redirect": True, "handle_httpstatus_list": REDIRECTS},
            cb_kwargs={"key": key, "path": path, "params": params, "what": what, "page": page},
        )

    def parse_listing(self, response, key: str, path: str, params: dict[str, str], what: str, page: int):
        if response.status in REDIRECTS:
            where = response.headers.get(b"Location", b"").decode("latin-1")
            reason = "it does not exist" if "search" in where else f"Reddit redirects it to {where}"
            self.job.fail(f"{what} cannot be read from {response.url}: {reason}")
            return
        data = self.json(response, dict)
        if data.get("kind") != "Listing":
            raise ApiError(f"expected a Listing, got {data.get('kind')!r}")
        children = listing(mapping(data.get("data")).get("children"))
        if any(isinstance(c, dict) and c.get("kind") == "t5" for c in children):
            self.job.fail(f"{what} does not exist: Reddit answered with a list of subreddits")
            return
        known = id_number(self.job.state.get("newest", {}).get(key, ""))
        reached_known = False
        for child in children:
            if not isinstance(child, dict) or child.get("kind") != "t3":
                continue
            thing = mapping(child.get("data"))
            fullname = thing.get("name") or f"t3_{thing.get('id')}"
            if not isinstance(fullname, str):
                continue
            self.watch(thing, fullname)
            if id_number(fullname) > id_number(self.newest.get(key, "")):
                self.newest[key] = fullname
            if id_number(fullname) <= known:
                reached_known = True
                continue
            post = self.convert(submission_post, thing, self.base_url)
            if self.keep(post):
                yield Post(post)
        after = mapping(data.get("data")).get("after")
        if after and not reached_known and page < self.max_pages:
            yield self.listing(key, path, params, what=what, after=after, page=page + 1)

    # --- comments of watched threads -------------------------------------------------------------

    def watch(self, thing: dict[str, Any], fullname: str) -> None:
        """Follow a recent thread's comments; what its listing says about them is the latest count."""
        created = epoch_to_datetime(thing.get("created_utc"))
        if not self.comments or created is None or created < self.job.started_at - self.watch_for:
            return
        self.threads.setdefault(fullname, {"created": created.timestamp(), "comments": 0, "newest": 0})
        self.threads[fullname]["permalink"] = thing.get("permalink")
        self.seen_counts[fullname] = count(thing.get("num_comments")) or 0

    def _idle(self, spider) -> None:
        """The listings are read: now the comments, once (more requests keep the crawl open)."""
        if spider is not self or self.comment_phase or self.job.failed or not self.comments:
            return
        self.comment_phase = True
        cutoff = (self.job.started_at - self.watch_for).timestamp()
        for fullname in [f for f, t in self.threads.items() if t["created"] < cutoff]:
            del self.threads[fullname]  # too old to follow
        requests = list(self.comment_requests())
        unseen = [f for f in self.threads if f not in self.seen_counts]
        for start in range(0, len(unseen), INFO_BATCH):
            ids = ",".join(unseen[start:start + INFO_BATCH])
            requests.append(self.api_request(
                f"{self.api}/api/info.json?{urlencode({'id': ids, 'raw_json': 1})}", self.parse_info,
                primary=False, cb_kwargs={"what": "comment counts of watched threads"},
            ))
        if requests:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def parse_info(self, response, what: str):
        data = self.json(response, dict)
        for child in listing(mapping(data.get("data")).get("children")):
            thing = mapping(mapping(child).get("data"))
            name = thing.get("name")
            if isinstance(name, str) and name in self.threads:
                self.seen_counts[thing["name"]] = count(thing.get("num_comments")) or 0
        yield from self.comment_requests()

    def comment_requests(self) -> Iterable:
        """Threads whose comment count grew, newest first, up to max_threads in this crawl."""
        grown = [f for f, n in self.seen_counts.items()
                 if f in self.threads and n > self.threads[f]["comments"] and f not in self.queued]
        grown.sort(key=id_number, reverse=True)
        for fullname in grown[:max(0, self.max_threads - len(self.queued))]:
            self.queued.add(fullname)
            thread_id = fullname.split("_", 1)[-1]
            yield self.api_request(
                f"{self.api}/comments/{thread_id}.json?{urlencode({'sort': 'new', 'limit': 500, 'raw_json': 1})}",
                self.parse_comments, primary=False,
                cb_kwargs={"fullname": fullname, "what": f"comments of {fullname}"},
            )

    def parse_comments(self, response, fullname: str, what: str):
        data = self.json(response, list)
        if len(data) < 2:
            raise ApiError("expected the thread and its comments (two listings)")
        thread = self.threads[fullname]
        links = listing(mapping(mapping(data[0]).get("data")).get("children"))
        link = mapping(mapping(links[0]).get("data")) if links else {}
        thread_url = self.base_url + (link.get("permalink") or thread.get("permalink") or "")
        newest = thread["newest"]
        for comment in walk_comments(listing(mapping(mapping(data[1]).get("data")).get("children"))):
            created = epoch_to_datetime(comment.get("created_utc"))
            created = created.timestamp() if created else 0
            if created <= thread["newest"]:
                continue  # stored by an earlier crawl
            newest = max(newest, created)
            post = self.convert(comment_post, comment, self.base_url, thread_url)
            if self.keep(post):
                yield Post(post)
        thread["newest"] = newest
        thread["comments"] = count(link.get("num_comments")) or self.seen_counts.get(fullname, 0)

    def hint(self, status: int, said: str, request) -> str | None:
        what = request.cb_kwargs.get("what", "")
        reason = said.lower()
        if what.startswith("r/"):
            if "banned" in reason:
                return f"{what} has been banned by Reddit"
            if "private" in reason:
                return f"{what} is private: only its approved members can read it"
            if "quarantined" in reason:
                return f"{what} is quarantined: only logged-in accounts that opted in can read it"
            if status == 404:
                return f"{what} does not exist"
        if status == 403 and not self.carries_credentials(request.url):
            return f"Reddit refuses this client; give it a descriptive user_agent, or {self.credentials_help()}"
        if status == 401 and "access_token" in request.url:
            return f"the app login was refused: check {self.app[2] if self.app else 'the client id and secret'}"
        return super().hint(status, said, request)


def walk_comments(children: list) -> Iterable[dict[str, Any]]:
    """Every comment (t1) of a comment tree, depth first; 'more' stubs are skipped."""
    stack = list(reversed(children))
    while stack:
        child = stack.pop()
        if not isinstance(child, dict) or child.get("kind") != "t1":
            continue
        comment = mapping(child.get("data"))
        yield comment
        stack.extend(reversed(listing(mapping(mapping(comment.get("replies")).get("data")).get("children"))))


def reddit_text(text: str) -> str:
    return _LONG_REFERENCE.sub(r"\1", text)


def _author(thing: dict[str, Any]) -> str | None:
    author = thing.get("author")
    return author if isinstance(author, str) and author not in GONE else None


def submission_post(thing: dict[str, Any], web: str) -> dict[str, Any] | None:
    """A submission (t3 of a listing) as a post."""
    published = epoch_to_datetime(thing.get("created_utc"))
    if not thing.get("id") or published is None:
        return None
    text = thing.get("selftext") or ""
    if text in GONE:
        text = ""
    elif thing.get("selftext_html"):
        text = html_to_text(thing["selftext_html"])
    extra: dict[str, Any] = {"subreddit": thing.get("subreddit")}
    if not thing.get("is_self") and thing.get("url"):
        extra["link"] = thing["url"]
    if thing.get("link_flair_text"):
        extra["flair"] = thing["link_flair_text"]
    if thing.get("over_18"):
        extra["nsfw"] = True
    if thing.get("removed_by_category"):
        extra["removed"] = thing["removed_by_category"]
    if thing.get("subreddit_subscribers") is not None:
        extra["subscribers"] = thing["subreddit_subscribers"]
    return {
        "external_id": thing.get("name") or f"t3_{thing['id']}",
        "url": web + thing["permalink"] if thing.get("permalink") else thing.get("url"),
        "title": normalise_text(thing.get("title")) or None,
        "text": reddit_text(text),
        "author": _author(thing),
        "author_id": _author(thing),
        "author_reach": None,  # Reddit shows no follower counts in listings
        "likes": count(thing.get("score")),
        "reposts": count(thing.get("num_crossposts")),
        "replies": count(thing.get("num_comments")),
        "image_url": _image(thing),
        "lang": None,
        "parent_external_id": None,
        "thread_url": None,
        "published_at": published,
        "extra": extra,
    }


def comment_post(comment: dict[str, Any], web: str, thread_url: str) -> dict[str, Any] | None:
    """A comment (t1) as a post, pointing to its parent comment or submission."""
    published = epoch_to_datetime(comment.get("created_utc"))
    body = comment.get("body") or ""
    if not comment.get("id") or published is None or body in GONE:
        return None
    replies = comment.get("replies")
    direct = [c for c in ((replies or {}).get("data") or {}).get("children") or [] if c.get("kind") == "t1"] \
        if isinstance(replies, dict) else []
    extra: dict[str, Any] = {"subreddit": comment.get("subreddit"), "depth": comment.get("depth")}
    if comment.get("is_submitter"):
        extra["by_submitter"] = True
    return {
        "external_id": comment.get("name") or f"t1_{comment['id']}",
        "url": web + comment["permalink"] if comment.get("permalink") else None,
        "title": None,
        "text": reddit_text(html_to_text(comment["body_html"]) if comment.get("body_html") else normalise_text(body)),
        "author": _author(comment),
        "author_id": _author(comment),
        "author_reach": None,
        "likes": count(comment.get("score")),
        "reposts": None,
        "replies": len(direct),
        "image_url": None,
        "lang": None,
        "parent_external_id": comment.get("parent_id"),
        "thread_url": thread_url,
        "published_at": published,
        "extra": extra,
    }


def _image(thing: dict[str, Any]) -> str | None:
    images = (thing.get("preview") or {}).get("images") or []
    if images and isinstance(images[0], dict):
        source = images[0].get("source") or {}
        if source.get("url"):
            return source["url"]
    if thing.get("post_hint") == "image" and thing.get("url"):
        return thing["url"]
    return None

"""Discourse forums: /latest.json for the topics bumped since the last crawl, then each topic's new posts.

Source options (TOML, all optional):
  url                  the forum's root, e.g. "https://forum.example.nl"
  categories           only topics in these category ids, e.g. [5, 12]
  max_topics           topics read per crawl (default 30; the rest waits for the next crawl)
  max_posts_per_topic  on a topic's first visit, its newest this many posts (default 100)
  pages                pages of /latest.json per crawl (default 3); reading stops at the first page
                       whose topics are all unchanged
  api_key_env          variable holding an API key for a closed forum (sent as Api-Key, with
                       Api-Username from the option api_username, default "system")
  delay                seconds between requests (default: the crawl settings)

Incremental: per topic the highest post number and post id stored; a topic is read again when its
highest_post_number grew, and only posts with higher ids are fetched: the first chunk comes with
/t/{id}.json, the rest by /t/{id}/posts.json?post_ids[]=…, 20 at a time.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlencode

from ..apis import OptionError, count, first_image, listing, mapping, without
from ..extract import html_to_text, normalise_text, parse_datetime
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

CHUNK = 20  # post ids per posts.json request, as Discourse's own client asks
REMEMBERED_TOPICS = 2000
# Not the author's words: quotes of other posts, link previews, image captions.
NOT_OWN_WORDS = ("aside.quote", "aside.onebox", "div.onebox", ".lightbox-wrapper .meta", ".cooked-date")
LIKE = 2  # actions_summary id of a like
REGULAR_POST = 1  # post_type; the others are moderator notes, "closed this topic" lines, whispers


class DiscourseSpider(PlatformSpider):
    kind = "discourse"
    platform = "Discourse"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        self.categories = set()
        for value in self.options.values.get("categories", []):
            if isinstance(value, bool) or not isinstance(value, int):
                raise OptionError(f"option categories must be a list of category ids (numbers), got {value!r}")
            self.categories.add(value)
        self.max_topics = self.options.integer("max_topics", 30, 1, 1000)
        self.max_posts = self.options.integer("max_posts_per_topic", 100, 1, 100_000)
        self.pages = self.options.integer("pages", 3, 1, 50)
        key = self.options.text("api_key_env")
        if key:  # a key opens one forum: there is no default variable that could reach another
            api_key, variable = self.options.secret("api_key_env", "")
            username = self.options.text("api_username", "system")
            self.use_credentials({"Api-Key": api_key, "Api-Username": username}, self.base_url, variable)
        self.topics: dict[str, dict[str, Any]] = self.job.new_state.setdefault("topics", {})
        self.queued = 0
        self.open_batches: dict[str, int] = {}

    def credentials_help(self) -> str:
        return "this forum is closed: create an API key (read-only) and name its variable with api_key_env"

    def first_requests(self) -> Iterable:
        yield self.latest(0)

    def latest(self, page: int):
        query = f"?{urlencode({'page': page})}" if page else ""
        return self.api_request(f"{self.base_url}/latest.json{query}", self.parse_latest,
                                cb_kwargs={"page": page, "what": "the topic list"})

    def parse_latest(self, response, page: int, what: str):
        data = self.json(response, dict)
        topic_list = mapping(data.get("topic_list"))
        topics = [t for t in listing(topic_list.get("topics")) if isinstance(t, dict) and count(t.get("id"))]
        oldest_changed = False
        for topic in topics:
            known = self.job.state.get("topics", {}).get(str(topic["id"]))
            highest = count(topic.get("highest_post_number")) or count(topic.get("posts_count")) or 0
            changed = not known or highest > known.get("n", 0)
            if not topic.get("pinned"):  # pinned topics stand on top whenever they were bumped
                oldest_changed = changed
            if not changed:
                continue
            if self.categories and topic.get("category_id") not in self.categories:
                continue
            if self.queued >= self.max_topics:
                continue
            self.queued += 1
            yield self.api_request(
                f"{self.base_url}/t/{topic['id']}.json", self.parse_topic, primary=False,
                cb_kwargs={"topic_id": str(topic["id"]), "what": f"topic {topic['id']}"},
            )
        # Topics come by bumped_at, newest first: once one is unchanged, so are the ones after it.
        more = topic_list.get("more_topics_url")
        if more and oldest_changed and page + 1 < self.pages and self.queued < self.max_topics:
            yield self.latest(page + 1)

    def parse_topic(self, response, topic_id: str, what: str):
        data = self.json(response, dict)
        stream = mapping(data.get("post_stream"))
        known = self.job.state.get("topics", {}).get(topic_id) or {}
        all_ids = [i for i in listing(stream.get("stream")) if count(i)]
        wanted = [i for i in all_ids if i > known.get("id", 0)][-self.max_posts:]
        title = next((t for t in (data.get("title"), data.get("fancy_title")) if isinstance(t, str) and t), "")
        slug = data.get("slug") if isinstance(data.get("slug"), str) and data.get("slug") else "topic"
        topic = {"id": topic_id, "title": normalise_text(title), "slug": slug, "category_id": data.get("category_id")}
        marker = {"n": count(data.get("highest_post_number")) or 0, "id": max(all_ids, default=0)}
        chunk = {p["id"]: p for p in listing(stream.get("posts")) if isinstance(p, dict) and count(p.get("id"))}
        yield from self.posts([chunk[i] for i in wanted if i in chunk], topic)
        missing = [i for i in wanted if i not in chunk]
        batches = [missing[start:start + CHUNK] for start in range(0, len(missing), CHUNK)]
        if not batches:
            self.remember(topic_id, marker)
            return
        self.open_batches[topic_id] = len(batches)
        for batch in batches:
            query = urlencode([("post_ids[]", i) for i in batch])
            yield self.api_request(
                f"{self.base_url}/t/{topic_id}/posts.json?{query}", self.parse_posts, primary=False,
                cb_kwargs={"topic": topic, "marker": marker, "what": f"posts of topic {topic_id}"},
            )

    def parse_posts(self, response, topic: dict[str, Any], marker: dict[str, int], what: str):
        data = self.json(response, dict)
        posts = listing(mapping(data.get("post_stream")).get("posts"))
        yield from self.posts([p for p in posts if isinstance(p, dict)], topic)
        # The topic counts as read only when every batch came back; a lost batch is fetched next time.
        self.open_batches[topic["id"]] -= 1
        if self.open_batches[topic["id"]] == 0:
            self.remember(topic["id"], marker)

    def posts(self, posts: list[dict[str, Any]], topic: dict[str, Any]):
        for post in posts:
            item = self.convert(discourse_post, post, topic, self.base_url)
            if self.keep(item):
                yield Post(item)

    def remember(self, topic_id: str, marker: dict[str, int]) -> None:
        self.topics[topic_id] = marker
        if len(self.topics) > REMEMBERED_TOPICS:
            # Post ids grow with time: the topics whose last post is oldest are forgotten first.
            for old in sorted(self.topics, key=lambda t: self.topics[t].get("id", 0))[:-REMEMBERED_TOPICS]:
                del self.topics[old]

    def hint(self, status: int, said: str, request) -> str | None:
        if status == 404 and "/latest.json" in request.url:
            return "no Discourse forum at this address: url should be the forum's root"
        if status == 403 and not self.carries_credentials(request.url):
            return "this forum or category is closed to visitors; " + self.credentials_help()
        return super().hint(status, said, request)


def discourse_post(post: dict[str, Any], topic: dict[str, Any], base: str) -> dict[str, Any] | None:
    """A post of a topic (/t/{id}.json post_stream.posts) as a post; None for system lines and deleted posts."""
    if post.get("post_type", REGULAR_POST) != REGULAR_POST or post.get("hidden") or post.get("deleted_at"):
        return None
    if post.get("user_deleted"):
        return None
    number = post.get("post_number")
    published = parse_datetime(post.get("created_at"))
    if not isinstance(number, int) or published is None:
        return None
    cooked = post.get("cooked") or ""
    thread_url = f"{base}/t/{topic['slug']}/{topic['id']}"
    reply_to = post.get("reply_to_post_number")
    parent = reply_to if isinstance(reply_to, int) else (1 if number > 1 else None)
    likes = sum(a.get("count") or 0 for a in post.get("actions_summary") or []
                if isinstance(a, dict) and a.get("id") == LIKE)
    extra: dict[str, Any] = {"post_id": post.get("id"), "topic_title": topic["title"]}
    if topic.get("category_id") is not None:
        extra["category_id"] = topic["category_id"]
    if post.get("reads") is not None:
        extra["reads"] = post["reads"]
    return {
        # Topic and post number: stable, and a reply's parent is known without asking for its id.
        "external_id": f"{topic['id']}/{number}",
        "url": f"{thread_url}/{number}",
        "title": topic["title"] if number == 1 else None,
        "text": html_to_text(without(cooked, NOT_OWN_WORDS)),
        "author": normalise_text(post.get("name")) or post.get("username"),
        "author_id": post.get("username"),
        "author_reach": None,
        "likes": likes,
        "reposts": None,
        "replies": count(post.get("reply_count")),
        "image_url": first_image(cooked, base, ("emoji", "avatar", "site-icon")),
        "lang": None,
        "parent_external_id": f"{topic['id']}/{parent}" if parent else None,
        "thread_url": thread_url,
        "published_at": published,
        "extra": extra,
    }

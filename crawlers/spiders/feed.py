"""News feeds (RSS, Atom, JSON Feed); teaser-only items are completed from their article page.

Source options (TOML, all optional): follow_articles (default true), max_items (200),
teaser_chars (400: an item with less text than this is a teaser worth following).
"""
from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import TextResponse

from core.store.posts import canonical_url

from ..extract import believe_utf8, extract_article
from ..feeds import FeedError, parse_feed
from ..items import Post
from .base import PRIMARY, SourceSpider, describe_failure

TEASER_CHARS = 400


class FeedSpider(SourceSpider):
    kind = "feed"

    async def start(self):
        yield self.conditional_request(
            self.job.source.url,
            callback=self.parse_feed,
            errback=self.source_failed,
            meta={PRIMARY: True},
        )

    def parse_feed(self, response):
        if response.status == 304:
            self.job.counts.not_modified += 1
            return
        try:
            feed = parse_feed(
                response.body,
                response.url,
                fetched_at=self.job.started_at,
                content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
            )
        except FeedError as exc:
            self.job.fail(f"{exc} at {response.url}")
            return
        for problem in feed.problems:
            self.job.error(f"{response.url}: {problem}")
        self.remember_validators(response)
        following: set[str] = set()
        for entry in feed.entries[: self.job.source.max_items]:
            if self._worth_following(entry, following):
                following.add(canonical_url(entry["url"]))
                yield scrapy.Request(
                    entry["url"],
                    callback=self.parse_article,
                    errback=self.article_failed,
                    cb_kwargs={"entry": entry},
                )
            else:
                yield Post(entry)

    def _worth_following(self, entry: dict[str, Any], following: set[str]) -> bool:
        """A teaser with a link we have not stored yet: its page holds the story."""
        if not self.job.source.follow_articles or not entry["url"]:
            return False
        if len(entry["text"]) >= int(self.job.option("teaser_chars", TEASER_CHARS)):
            return False
        if canonical_url(entry["url"]) in following:
            return False
        return not self.job.is_known(entry["external_id"], entry["url"])

    def parse_article(self, response, entry: dict[str, Any]):
        if not isinstance(response, TextResponse):
            kind = response.headers.get(b"Content-Type", b"unknown type").decode("latin-1")
            yield self._teaser(entry, f"article {response.url} is not a web page ({kind})")
            return
        try:
            html = believe_utf8(response.body, response.encoding) or response.text
            article = extract_article(html, response.url)
        except Exception as exc:  # any extractor failure, even a missing module, keeps the teaser
            yield self._teaser(entry, f"article {response.url} could not be read ({exc.__class__.__name__}: {exc})")
            return
        if article is not None:
            merge_article(entry, article)
        yield Post(entry)

    def article_failed(self, failure):
        """The article page could not be fetched."""
        yield self._teaser(failure.request.cb_kwargs["entry"], f"article: {describe_failure(failure, self.settings)}")

    def _teaser(self, entry: dict[str, Any], reason: str) -> Post:
        """Keep the feed's teaser, flagged, and count the error: the run keeps the feed's old validators,
        so the next crawl reads the feed in full again instead of getting a 304."""
        entry.setdefault("extra", {})["article_error"] = reason[:300]
        self.job.incomplete_item(f"{reason}; kept the teaser")
        return Post(entry)


def merge_article(entry: dict[str, Any], article) -> None:
    """Complete a feed entry with what its article page says; the feed's own values win where present."""
    extra = entry.setdefault("extra", {})
    text = article.text
    first_line, _, rest = text.partition("\n")
    if entry["title"] and first_line.strip() == entry["title"].strip() and rest:
        text = rest  # extractors often keep the page's <h1>; the title is stored apart
    if len(text) > len(entry["text"]):
        if entry["text"]:
            extra["summary"] = entry["text"]
        entry["text"] = text
        extra["article_text"] = True
    entry["title"] = entry["title"] or article.title
    entry["author"] = entry["author"] or article.author
    entry["image_url"] = entry["image_url"] or article.image_url
    entry["lang"] = entry["lang"] or article.lang
    if extra.get("published_guessed") and article.published_at and article.published_at <= entry["published_at"]:
        entry["published_at"] = article.published_at
        del extra["published_guessed"]
        if article.published_day_only:
            extra["published_day_only"] = True

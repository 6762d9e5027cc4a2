"""The one item pipeline: the ingest policy (core.ingest), posts stored a batch at a time.

A relevant item is pseudonymised and held; the held items are stored in one transaction
(core.ingest.policy.ingest_posts) every FLUSH_ITEMS items, every FLUSH_SECONDS while items trickle in,
and when the spider closes. A crawl process killed in between loses at most the held batch, and
nothing it saved is marked as seen: a source's incremental state (validators, cursors) is saved only
when the run finishes, so the next crawl fetches those items again, and storing is idempotent (the
posts stored before the kill are duplicates then).
"""
from __future__ import annotations

import time

from scrapy.exceptions import DropItem
from twisted.internet import task

# Posts per transaction: enough to store a page of a feed in a handful of statements, few enough
# that a killed crawl has little to fetch again.
FLUSH_ITEMS = 100
# A slow crawl (article pages one by one) stores what it holds at least this often.
FLUSH_SECONDS = 2.0


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.held: list[dict] = []
        self.since = 0.0  # when the oldest held item came in
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.timer = task.LoopingCall(self._flush_when_due)
        self.timer.start(FLUSH_SECONDS / 2, now=False)

    def close_spider(self):
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.flush()

    def process_item(self, item):
        job = self.crawler.spider.job
        post = dict(item)
        job.counts.fetched += 1
        if not job.relevant(post):
            job.filtered += 1
            job.remember_filtered(post["external_id"])
            city = job.ingest.config.watch.city
            raise DropItem(f"not about {city}: {post.get('url') or post.get('external_id')}", log_level="DEBUG")
        try:
            held = job.hold(post)
        except Exception as exc:  # one bad post must not end the crawl; the run records why
            job.store_error(post, exc)
            raise DropItem(str(exc), log_level="DEBUG") from None
        if not self.held:
            self.since = time.monotonic()
        self.held.append(held)
        if len(self.held) >= FLUSH_ITEMS:
            self.flush()
        return item

    def _flush_when_due(self) -> None:
        if self.held and time.monotonic() - self.since >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Store the held posts in one transaction and count them."""
        held, self.held = self.held, []
        if not held:
            return
        job = self.crawler.spider.job
        for outcome in job.save_many(held):
            if outcome == "new":
                job.counts.new += 1
            elif outcome == "duplicate":
                job.counts.duplicates += 1

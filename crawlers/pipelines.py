"""The one item pipeline: the ingest policy (core.ingest), each post stored in its own transaction."""
from __future__ import annotations

from scrapy.exceptions import DropItem


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

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
            outcome = job.save(post)
        except Exception as exc:  # one bad post must not end the crawl; the run records why
            job.store_errors += 1
            job.error(f"could not store {post.get('url') or post.get('external_id')}: {exc.__class__.__name__}: {exc}")
            raise DropItem(str(exc), log_level="DEBUG") from None
        if outcome == "new":
            job.counts.new += 1
        else:
            job.counts.duplicates += 1
        return item

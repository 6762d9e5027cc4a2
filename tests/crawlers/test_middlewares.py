"""Pieces of the downloader middlewares and failure reasons that need no crawl."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawlers.middlewares import retry_after_seconds
from crawlers.settings import CrawlSettings, scrapy_settings
from crawlers.spiders import UnknownKind, spider_class
from crawlers.spiders.feed import FeedSpider

NOW = datetime(2025, 11, 17, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "header, seconds",
    [
        (b"2", 2.0),
        ("120", 120.0),
        (b"Mon, 17 Nov 2025 12:00:30 GMT", 30.0),
        (b"Mon, 17 Nov 2025 11:00:00 GMT", 0.0),  # in the past: retry now
        (b"morgen", None),
        (None, None),
        (b"", None),
    ],
)
def test_retry_after_seconds(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


def test_crawl_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEWSROOM_CRAWL_DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("NEWSROOM_CRAWL_SCRAPY", '{"CONCURRENT_REQUESTS": 3}')

    settings = scrapy_settings(CrawlSettings(), user_agent="newsroom-test", loopback_only=True)

    assert settings["DOWNLOAD_DELAY"] == 0 and settings["CONCURRENT_REQUESTS"] == 3
    assert settings["ROBOTSTXT_OBEY"] is True and settings["HTTPCACHE_ENABLED"] is False
    assert settings["USER_AGENT"] == "newsroom-test" and settings["NEWSROOM_LOOPBACK_ONLY"] is True
    assert 429 not in settings["RETRY_HTTP_CODES"]  # RetryAfterMiddleware's
    assert settings["DOWNLOAD_HANDLERS"]["file"] is None


def test_spider_class_by_kind():
    assert spider_class("feed") is FeedSpider
    assert [spider_class(kind).kind for kind in ("mastodon", "bluesky", "discourse", "reddit", "forum")] == [
        "mastodon", "bluesky", "discourse", "reddit", "forum"]
    with pytest.raises(UnknownKind, match="no spider for source kind 'telegram'"):
        spider_class("telegram")

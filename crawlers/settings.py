"""Scrapy settings for one crawl: polite by default, tunable from the environment.

Each CrawlSettings field is read from NEWSROOM_CRAWL_<FIELD> (NEWSROOM_CRAWL_DOWNLOAD_DELAY,
NEWSROOM_CRAWL_RETRY_AFTER_MAX, NEWSROOM_CRAWL_MAX_SIZE, NEWSROOM_CRAWL_SCRAPY='{"SETTING": value}', ...).
Tests and the offline demo set NEWSROOM_CRAWL_DOWNLOAD_DELAY=0 and NEWSROOM_CRAWL_THROTTLE_START_DELAY=0
so a crawl of a local server takes a second, not a minute. The user agent and loopback-only mode come
from core.settings (NEWSROOM_USER_AGENT, NEWSROOM_LOOPBACK_ONLY).
"""
from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CrawlSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSROOM_CRAWL_", env_file=None, extra="ignore", env_ignore_empty=True)

    download_delay: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    throttle_start_delay: float = Field(default=2.0, ge=0)
    throttle_max_delay: float = Field(default=30.0, ge=0)
    download_timeout: float = Field(default=30.0, gt=0)
    retry_times: int = Field(default=2, ge=0)
    # Longest Retry-After (429/503) we wait out; a server asking for longer fails the request.
    retry_after_max: float = Field(default=120.0, ge=0)
    # Bytes; a bigger page or feed is refused rather than parsed.
    max_size: int = Field(default=10 * 1024 * 1024, gt=0)
    concurrency_per_domain: int = Field(default=2, ge=1, le=4)
    # Seconds after which a crawl stops itself (a failed run); 0 means no limit.
    time_limit: float = Field(default=0, ge=0)
    log_level: str = "INFO"
    # Raw Scrapy settings as JSON, for anything not covered above.
    scrapy: dict[str, Any] = {}


# Ordered before RobotsTxtMiddleware (100): a refused host must not even get a robots.txt request.
LOOPBACK_MIDDLEWARE = "crawlers.middlewares.LoopbackOnlyMiddleware"
# process_response runs from high to low numbers: this sees a 429 before RetryMiddleware (550).
RETRY_AFTER_MIDDLEWARE = "crawlers.middlewares.RetryAfterMiddleware"
# Above RetryAfterMiddleware: it sees every answer first (a 429 usually says the budget is used up too).
RATE_LIMIT_MIDDLEWARE = "crawlers.middlewares.RateLimitMiddleware"


def scrapy_settings(crawl: CrawlSettings, *, user_agent: str, loopback_only: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "BOT_NAME": "newsroom",
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        # No consoles: a crawl process listens on no port.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": crawl.throttle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": max(crawl.throttle_max_delay, crawl.download_delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_size,
        "DOWNLOAD_WARNSIZE": crawl.max_size // 2,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl.retry_times,
        # 429 is RetryAfterMiddleware's: it waits as long as the server asks before retrying.
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "NEWSROOM_RETRY_AFTER_MAX": crawl.retry_after_max,
        "NEWSROOM_LOOPBACK_ONLY": loopback_only,
        "CLOSESPIDER_TIMEOUT": crawl.time_limit,
        # Only the web: a feed must not make us read local files or talk to FTP/S3.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        "DOWNLOADER_MIDDLEWARES": {LOOPBACK_MIDDLEWARE: 40, RETRY_AFTER_MIDDLEWARE: 560, RATE_LIMIT_MIDDLEWARE: 570},
        "ITEM_PIPELINES": {"crawlers.pipelines.StorePipeline": 300},
        "LOG_LEVEL": crawl.log_level,
    }
    settings.update(crawl.scrapy)
    return settings

"""Downloader middlewares every spider gets (see crawlers.settings for their order)."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from .apis import rate_limit_exhausted

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class LoopbackOnlyMiddleware:
    """In loopback-only mode (tests, the offline demo) refuse every request to another host.

    Recorded feeds and pages hold real URLs; this makes sure following one never leaves the machine.
    The refusal reaches the request's errback as IgnoreRequest, so the spider counts it with its reason.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSROOM_LOOPBACK_ONLY"):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request):
        host = urlparse_cached(request).hostname
        if host not in LOOPBACK_HOSTS:
            self.crawler.stats.inc_value("newsroom/refused_not_loopback")
            raise IgnoreRequest(
                f"refused {request.url}: loopback-only mode allows requests to 127.0.0.1, localhost and ::1 only"
            )


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    """429 (and 503 with Retry-After): wait as long as the server asks, up to a bound, then retry.

    Without Retry-After a 429 waits 2, 4, 8... seconds. A server asking for longer than the
    NEWSROOM_RETRY_AFTER_MAX setting gets no retry: the answer goes to the spider's errback, which names it.
    Retries share RetryMiddleware's RETRY_TIMES budget.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("NEWSROOM_RETRY_AFTER_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response):
        if response.status not in (429, 503) or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            if response.status == 503:
                return response  # RetryMiddleware's case
            wait = float(2 ** (request.meta.get("retry_times", 0) + 1))
        if wait > self.max_wait:
            self.crawler.stats.inc_value("newsroom/retry_after_too_long")
            request.meta["newsroom_retry_after"] = wait
            request.meta["dont_retry"] = True  # nor may RetryMiddleware retry a 503 at once
            return response
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"HTTP {response.status}, waiting {wait:g} s",
            stats_base_key="newsroom/retry_after",
        )
        if retry is None:
            return response
        logger.info("%s answered %s; waiting %g s before retrying", request.url, response.status, wait)
        await sleep(wait)
        return retry


class RateLimitMiddleware:
    """Rate-limit headers (X-RateLimit-*, RateLimit-*): when an answer says the budget is used up, every
    later request to that host waits until the budget resets, so a source backs off instead of hammering.
    A 429 or 503 with Retry-After holds back the host's other requests the same way.

    A reset further away than NEWSROOM_RETRY_AFTER_MAX is not waited for: those requests are refused
    with the reason, which reaches the spider's errback (the run fails with it when the request is needed).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("NEWSROOM_RETRY_AFTER_MAX", 120.0)
        self.paused_until: dict[str, float] = {}  # host:port -> time.monotonic() when the budget is back

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        host = urlparse_cached(request).netloc
        until = self.paused_until.get(host)
        if until is None:
            return None
        wait = until - time.monotonic()
        if wait <= 0:
            self.paused_until.pop(host, None)
            return None
        if wait > self.max_wait:
            self.crawler.stats.inc_value("newsroom/rate_limit_refused")
            raise IgnoreRequest(
                f"the rate limit of {host} is used up for {wait:.0f} s more, longer than the "
                f"{self.max_wait:g} s we wait; not asking for {request.url}"
            )
        self.crawler.stats.inc_value("newsroom/rate_limit_waits")
        logger.info("rate limit of %s used up; waiting %.1f s before %s", host, wait, request.url)
        await sleep(wait)
        return None

    def process_response(self, request, response):
        wait = rate_limit_exhausted(response.headers)
        if response.status in (429, 503):
            # RetryAfterMiddleware waits before retrying this request; the others to the host wait too.
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                wait = max(wait or 0.0, asked)
        if wait is not None:
            host = urlparse_cached(request).netloc
            until = time.monotonic() + wait
            self.paused_until[host] = max(until, self.paused_until.get(host, 0.0))
            logger.info("%s says its rate limit is used up; the next request waits %.1f s", host, wait)
        return response

"""What every source spider shares: its job, conditional GET, and failures turned into reasons.

A spider for a new kind subclasses SourceSpider, sets `kind`, and yields crawlers.items.Post items.
Requests whose failure means "this source could not be read" use `errback=self.source_failed`
and `meta={PRIMARY: True}`; the others count as one error each (see crawlers.job.CrawlJob).
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from ..job import CrawlJob

# Request meta key: a failure of this request (or an exception parsing its response) fails the run.
PRIMARY = "newsroom_primary"
# Request meta key: where ETag / Last-Modified of this URL are kept in the source's state.
VALIDATORS = "newsroom_validators"

_KNOWN_STATUSES = {status.value for status in HTTPStatus}


class SourceSpider(scrapy.Spider):
    kind: ClassVar[str] = ""

    def __init__(self, job: CrawlJob, **kwargs: Any):
        super().__init__(name=job.source.name, **kwargs)
        self.job = job

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider._spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self, spider) -> None:
        """Called when no request is left: a spider with a second round (comments of what it found) starts it
        here and raises DontCloseSpider."""

    # --- conditional GET -------------------------------------------------------------------------

    def conditional_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        """A GET that sends the validators saved by the last successful crawl; a 304 reaches the callback."""
        known = self.job.state.get("validators", {}).get(url, {})
        headers = dict(kwargs.pop("headers", {}) or {})
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        meta = dict(kwargs.pop("meta", {}) or {})
        meta[VALIDATORS] = url
        meta["handle_httpstatus_list"] = [*meta.get("handle_httpstatus_list", []), 304]
        return scrapy.Request(url, headers=headers, meta=meta, **kwargs)

    def remember_validators(self, response) -> None:
        """Keep this response's ETag / Last-Modified for the next crawl (saved only if this one succeeds)."""
        key = response.meta.get(VALIDATORS)
        if not key:
            return
        validators = self.job.new_state.setdefault("validators", {})
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            validators[key] = {
                k: v.decode("latin-1") for k, v in (("etag", etag), ("last_modified", modified)) if v
            }
        else:
            validators.pop(key, None)

    # --- failures --------------------------------------------------------------------------------

    def source_failed(self, failure: Failure) -> None:
        """Errback for requests without which the source cannot be read at all."""
        self.job.fail(describe_failure(failure, self.settings))

    def _spider_error(self, failure: Failure, response, spider, **_kwargs) -> None:
        if spider is not self:
            return
        request = getattr(response, "request", None)
        url = getattr(request, "url", None) or getattr(response, "url", "?")
        reason = f"{failure.value.__class__.__name__} while reading {url}: {failure.value}"
        if request is not None and request.meta.get(PRIMARY):
            self.job.fail(reason)
        else:
            self.job.error(reason)

    def _spider_closed(self, spider, reason: str, **_kwargs) -> None:
        if spider is self and reason != "finished":
            if reason == "closespider_timeout":
                limit = self.settings.getfloat("CLOSESPIDER_TIMEOUT")
                self.job.fail(f"crawl stopped after its time limit of {limit:g} s")
            else:
                self.job.fail(f"crawl stopped before it finished ({reason})")


def describe_failure(failure: Failure, settings=None) -> str:
    """A failed request as one line an administrator understands."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else "?"
    exc = failure.value
    if failure.check(HttpError):
        response = exc.response
        reason = f"HTTP {response.status}"
        if response.status in _KNOWN_STATUSES:
            reason += f" {HTTPStatus(response.status).phrase}"
        wait = response.meta.get("newsroom_retry_after") if response.request is not None else None
        if wait is not None:
            limit = settings.getfloat("NEWSROOM_RETRY_AFTER_MAX") if settings else None
            reason += f" (Retry-After {wait:g} s is longer than the {limit:g} s we wait)" if limit else ""
        return f"{reason} from {response.url}"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        parts = urlparse_cached(request) if request is not None else None
        where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}" if parts else url
        return f"connection refused by {where} ({url})"
    if failure.check(CannotResolveHostError, DNSLookupError):
        host = urlparse_cached(request).hostname if request is not None else "?"
        return f"host {host} not found (DNS lookup failed) for {url}"
    if failure.check(DownloadTimeoutError, TimeoutError):
        timeout = request.meta.get("download_timeout") if request is not None else None
        within = f" within {timeout:g} s" if timeout else ""
        return f"no answer from {url}{within} (timeout)"
    if failure.check(DownloadCancelledError):
        limit = settings.getint("DOWNLOAD_MAXSIZE") if settings else None
        detail = str(exc) or (f"larger than the download limit of {limit} bytes" if limit else "cancelled")
        return f"download of {url} refused: {detail}"
    if failure.check(ResponseDataLossError):
        return f"connection to {url} broke off before the whole response arrived"
    if failure.check(IgnoreRequest):
        message = str(exc) or "request ignored"
        return message if url in message else f"{message}: {url}"
    return f"{exc.__class__.__name__} fetching {url}: {exc}"


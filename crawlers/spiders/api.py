"""The base of the platform spiders (mastodon, bluesky, discourse, reddit, forum, facebook, instagram, x,
youtube).

A PlatformSpider reads its source's options in `configure()` before the first request (a wrong option is
a failed run naming it, not a crash), sends credentials only to the host they belong to, and turns an
API's error answer into a reason an administrator can act on ("HTTP 401 Unauthorized from …: The access
token is invalid (check the token in NEWSROOM_MASTODON_TOKEN …)").

Incremental state lives in `self.job.new_state` (saved only when the run succeeds), so requests that
page through a timeline are primary: if one fails, the run fails and the next crawl starts from the
same place instead of skipping what it missed.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from ..apis import ApiError, OptionError, Options, api_message, read_json
from ..budget import Budget
from .base import PRIMARY, SourceSpider, describe_failure

# APIs are used under the platform's API terms and rate limits; robots.txt is written for web crawlers
# (Reddit's forbids everything to everyone) and says nothing about them. The forum spider reads web
# pages and obeys robots.txt.
API_SETTINGS = {"ROBOTSTXT_OBEY": False}
# How a run that failed on expired or revoked credentials begins its reason (Dutch: the administrator's).
TOKEN_EXPIRED = "token verlopen of ingetrokken"


class PlatformSpider(SourceSpider):
    # What the platform is called in reasons ("Mastodon", "Reddit").
    platform = ""

    def __init__(self, job, **kwargs: Any):
        super().__init__(job, **kwargs)
        self.options = Options(job.source.options)
        self.base_url = job.source.url.rstrip("/")
        self.auth_headers: dict[str, str] = {}
        self.auth_host: str | None = None  # host:port the credentials belong to
        self.secret_variable: str | None = None  # where they came from, named in reasons
        self.yielded: set[str] = set()  # external ids yielded in this crawl (a boost and its original)
        self.budget: Budget | None = None  # a metered API's read budget (crawlers.budget)

    async def start(self):
        try:
            delay = self.options.number("delay", None, 0, 600)
            if delay is not None:
                self.download_delay = delay  # Scrapy reads it per spider: a slower pace for this source
            self.configure()
        except OptionError as exc:
            self.job.fail(f"source {self.job.source.name} ({self.job.source.kind}): {exc}")
            return
        for request in self.first_requests():
            yield request

    def configure(self) -> None:
        """Read the options (raise OptionError for a wrong one)."""

    def first_requests(self) -> Iterable[scrapy.Request]:
        raise NotImplementedError

    def closed(self, reason: str) -> None:
        """Scrapy's end of the crawl: note in the run how often the platform made us wait, and keep a
        metered budget's spending even when the run failed (what was read is spent either way)."""
        stats = self.crawler.stats
        retried = stats.get_value("newsroom/retry_after/count", 0)
        paused = stats.get_value("newsroom/rate_limit_waits", 0)
        if retried or paused:
            self.job.counts.messages.append(
                f"snelheidslimiet van {self.platform or 'de server'}: {retried + paused} keer gewacht "
                f"({retried} keer HTTP 429/503 met Retry-After, {paused} keer limiet op)"
            )
        if self.budget is not None:
            state = self.budget.as_state(datetime.now(timezone.utc))
            self.job.new_state["budget"] = state
            if self.job.failed:
                from core.store.sources import save_source_budget

                with self.job.engine.begin() as conn:
                    save_source_budget(conn, self.job.source_row.id, state)

    # --- requests --------------------------------------------------------------------------------

    def use_credentials(self, headers: dict[str, str], url: str, variable: str | None) -> None:
        """Send `headers` (Authorization) with every request to the host of `url`, and nowhere else."""
        self.auth_headers = headers
        self.auth_host = urlsplit(url).netloc
        self.secret_variable = variable

    def carries_credentials(self, url: str) -> bool:
        return bool(self.auth_headers) and urlsplit(url).netloc == self.auth_host

    def api_request(
        self,
        url: str,
        callback,
        *,
        primary: bool = True,
        cb_kwargs: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        request_class=scrapy.Request,
        **kwargs: Any,
    ) -> scrapy.Request:
        """A request for JSON; primary ones fail the run when they fail, the others count one error."""
        all_headers = {"Accept": "application/json"}
        if self.carries_credentials(url):
            all_headers.update(self.auth_headers)
        all_headers.update(headers or {})
        return request_class(
            url,
            callback=callback,
            errback=self.api_failed if primary else self.api_request_failed,
            headers=all_headers,
            meta={**(meta or {}), PRIMARY: primary},
            cb_kwargs=cb_kwargs or {},
            **kwargs,
        )

    def json(self, response, expect: type | None = None) -> Any:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        data = read_json(response.body, response.url, content_type)
        if expect is not None and not isinstance(data, expect):
            raise ApiError(f"expected a JSON {expect.__name__}, got {type(data).__name__}")
        return data

    def convert(self, make, entry: Any, *args: Any) -> dict[str, Any] | None:
        """`make(entry, *args)`: one entry of an answer as a post, or None. An entry of an unexpected shape
        (a platform change, a broken proxy) is skipped with an error; the rest of the answer is kept."""
        try:
            return make(entry, *args)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            self.job.error(f"{self.platform or 'API'}: skipped an entry of unexpected shape ({exc.__class__.__name__}: {exc})")
            return None

    def keep(self, post: dict[str, Any] | None) -> bool:
        """Whether to yield `post`: once per crawl, however often it turns up (boosts, overlapping pages)."""
        if post is None or post["external_id"] in self.yielded:
            return False
        self.yielded.add(post["external_id"])
        return True

    # --- failures --------------------------------------------------------------------------------

    def api_failed(self, failure) -> None:
        self.job.fail(self.explain(failure))

    def api_request_failed(self, failure) -> None:
        self.job.error(self.explain(failure))

    def explain(self, failure) -> str:
        """describe_failure plus what the platform said and what to do about it."""
        reason = describe_failure(failure, self.settings)
        if failure.check(HttpError):
            response = failure.value.response
            said = api_message(response.body)
            if said:
                reason += f": {said}"
            hint = self.hint(response.status, said or "", failure.request)
            if hint:
                reason += f" ({hint})"
            if self.token_expired(response.status, response.body, failure.request):
                reason = f"{TOKEN_EXPIRED}: {reason}"
        return reason

    def token_expired(self, status: int, body: bytes, request) -> bool:
        """Whether an error answer means the credentials expired or were revoked; platforms say how."""
        return False

    def hint(self, status: int, said: str, request) -> str | None:
        """What an administrator can do about an error answer; platforms add their own cases."""
        if status in (401, 403) and self.carries_credentials(request.url):
            return f"check the credentials in {self.secret_variable}: they are invalid, expired or lack a permission"
        if status == 401:
            return f"{self.platform or 'the server'} asks for credentials; {self.credentials_help()}"
        return None

    def credentials_help(self) -> str:
        return "this source kind has no credentials option"

    def default_secret_is_shared(self, option: str, default_variable: str) -> None:
        """A secret from the kind's default variable belongs to one host: refuse to send it to another.

        With sources of this kind on several hosts, each needs its own variable (option `option`).
        """
        hosts = sorted({
            urlsplit(source.url).netloc
            for source in self.job.ingest.config.sources
            if source.kind == self.job.source.kind and not source.options.get(option)
        })
        if len(hosts) > 1:
            raise OptionError(
                f"{default_variable} would be sent to {', '.join(hosts)}; a secret belongs to one of them: "
                f"give each {self.job.source.kind} source its own variable with the option {option}"
            )

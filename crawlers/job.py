"""One crawl of one source: what the spider, the middlewares and the pipeline share while it runs.

The run's outcome is decided here: `fail()` marks the whole source as not fetched (the run fails),
`error()` counts one lost request or item (the run is ok with errors). Incremental state (validators,
cursors) goes into `new_state` and is saved only when the run succeeds, so a killed crawl never marks
as seen what it did not store.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from core.config.watch import Source
from core.ingest.policy import Ingest
from core.store.posts import canonical_url, check_post, post_exists
from core.store.schema import utcnow
from core.store.sources import RunCounts

logger = logging.getLogger(__name__)

# How many filtered-out entries a source remembers, so their article pages are not fetched every crawl.
FILTERED_MEMORY = 2000


@dataclass
class CrawlJob:
    source: Source
    source_row: Any  # the sources row (storing needs its id, channel and local flag)
    ingest: Ingest  # the newsroom's policy: relevance, pseudonymisation, themes
    engine: Engine
    state: dict[str, Any] = field(default_factory=dict)
    started_at: datetime = field(default_factory=utcnow)
    counts: RunCounts = field(default_factory=RunCounts)
    failure: str | None = None
    filtered: int = 0  # fetched but not about the watched city (national sources)
    store_errors: int = 0
    incomplete: int = 0  # items stored short of what they should hold (a teaser whose article failed)
    new_state: dict[str, Any] = field(init=False)
    _filtered_before: frozenset[str] = field(init=False, repr=False)
    # Posts kept by this crawl (stored, or held for the pipeline's next batch), as the store keys them.
    _kept_ids: set[str] = field(init=False, repr=False, default_factory=set)
    _kept_urls: set[str] = field(init=False, repr=False, default_factory=set)

    def __post_init__(self) -> None:
        self.new_state = copy.deepcopy(self.state)
        self._filtered_before = frozenset(self.state.get("filtered_ids", []))

    def fail(self, reason: str) -> None:
        """The source could not be fetched or read: the run fails with the first reason."""
        logger.error("source %s failed: %s", self.source.name, reason)
        if self.failure is None:
            self.failure = reason
            self.counts.errors += 1

    def error(self, reason: str) -> None:
        """One request or item was lost; the run goes on."""
        logger.warning("source %s: %s", self.source.name, reason)
        self.counts.errors += 1
        self.counts.messages.append(reason)

    def incomplete_item(self, reason: str) -> None:
        """An item was kept incomplete; like a store error, the feed's validators are not saved."""
        self.error(reason)
        self.incomplete += 1

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def option(self, name: str, default: Any = None) -> Any:
        return self.source.options.get(name, default)

    def relevant(self, post: dict[str, Any]) -> bool:
        """Local sources keep everything; others only posts about the watched city, and the replies in
        a conversation about it: a comment under a kept video or post ("Bij ons ook!") need not name
        the city to be about it."""
        if self.ingest.relevant(self.source_row, post):
            return True
        parent = post.get("parent_external_id")
        if not parent:
            return False
        return self.is_known(parent, None) and self.ingest.pseudonymiser.stored_id(parent) not in self._filtered_before

    def is_known(self, external_id: str, url: str | None) -> bool:
        """Stored already, or filtered out by an earlier crawl: not worth fetching again."""
        # Ids are compared as the store keeps them: a person-revealing id as its keyed hash.
        external_id = self.ingest.pseudonymiser.stored_id(external_id)
        if external_id in self._filtered_before or external_id in self._kept_ids:
            return True
        canon = canonical_url(url)
        if canon and canon in self._kept_urls:
            return True
        with self.engine.connect() as conn:
            return post_exists(conn, self.source_row.id, external_id, url)

    def remember_filtered(self, external_id: str) -> None:
        external_id = self.ingest.pseudonymiser.stored_id(external_id)
        remembered = self.new_state.setdefault("filtered_ids", [])
        if external_id not in remembered:
            remembered.append(external_id)
            del remembered[:-FILTERED_MEMORY]

    def save(self, post: dict[str, Any]) -> str:
        """Store one post in its own transaction; returns 'new' or 'duplicate' (raises when it can't)."""
        prepared = self.hold(post)
        with self.engine.begin() as conn:
            outcome, _post_id = self.ingest.store_prepared(conn, [(self.source_row, prepared)])[0]
        return outcome

    def hold(self, post: dict[str, Any]) -> dict[str, Any]:
        """The post pseudonymised and checked (ValueError when the store can't keep it), remembered as
        known to this crawl until its batch is stored."""
        prepared = self.ingest.prepare(self.source_row, post)
        check_post(prepared)
        self._kept_ids.add(prepared["external_id"][:512])
        canon = canonical_url(prepared.get("url"))
        if canon:
            self._kept_urls.add(canon)
        return prepared

    def save_many(self, held: list[dict[str, Any]]) -> list[str | None]:
        """Store held posts in one transaction; returns 'new' or 'duplicate' for each, None for a post
        that could not be stored (recorded as a store error). When the batch fails, each post is
        stored in a transaction of its own, so one bad post loses only itself."""
        if not held:
            return []
        try:
            with self.engine.begin() as conn:
                saved = self.ingest.store_prepared(conn, [(self.source_row, post) for post in held])
            return [outcome for outcome, _ in saved]
        except Exception:  # retried one by one, where the error is recorded per post
            logger.warning("source %s: a batch of %d posts could not be stored; storing them one by one",
                           self.source.name, len(held), exc_info=True)
            return [self._save_alone(post) for post in held]

    def _save_alone(self, post: dict[str, Any]) -> str | None:
        try:
            with self.engine.begin() as conn:
                return self.ingest.store_prepared(conn, [(self.source_row, post)])[0][0]
        except Exception as exc:  # one bad post must not end the crawl; the run records why
            self.store_error(post, exc)
            return None

    def store_error(self, post: dict[str, Any], exc: Exception) -> None:
        self.store_errors += 1
        self.error(f"could not store {post.get('url') or post.get('external_id')}: {exc.__class__.__name__}: {exc}")

    def state_to_save(self) -> dict[str, Any] | None:
        """The state to keep after this crawl, or None to keep the old one.

        A failed crawl keeps nothing new. When some posts could not be stored, or were stored incomplete,
        the old validators stay, so the next crawl fetches the feed in full instead of getting a 304.
        """
        if self.failed or self.new_state == self.state:
            return None
        if self.store_errors or self.incomplete:
            return {**self.new_state, "validators": self.state.get("validators", {})}
        return self.new_state

    def error_text(self) -> str | None:
        lines = ([self.failure] if self.failure else []) + self.counts.messages
        return "\n".join(lines[:20]) or None

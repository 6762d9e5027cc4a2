"""Time windows of the analytics queries: '24h', '7d' -> (since, until), with the window before it."""
from __future__ import annotations

from datetime import datetime, timedelta

from core.config.watch import parse_duration
from core.store.filters import PostFilter
from core.store.schema import utcnow

MAX_WINDOW = timedelta(days=400)


def parse_window(text: str) -> timedelta:
    """'24h', '7d', '2w' -> timedelta; ValueError with a readable message otherwise."""
    window = parse_duration(text)
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise ValueError(f"window must be between 1s and {MAX_WINDOW.days}d, got {text!r}")
    return window


def resolve(filters: PostFilter, window: timedelta, now: datetime | None = None) -> PostFilter:
    """The filters with since/until filled in: until defaults to now, since to until - window."""
    until = filters.until or now or utcnow()
    since = filters.since or until - window
    return filters.replace(since=since, until=until)


def previous(filters: PostFilter) -> PostFilter:
    """The window of equal length just before a resolved window."""
    length = filters.until - filters.since
    return filters.replace(since=filters.since - length, until=filters.since)

"""Query parameters shared by every post-based endpoint, turned into a core PostFilter."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from fastapi import HTTPException, Query

from core.filters import PostFilter


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # Times without offset are taken as UTC, the way the API writes them.
        value = value.replace(tzinfo=timezone.utc)
    return value


def post_filter(
    q: str | None = Query(None, max_length=200, description="zoekwoorden"),
    channel: Literal["news", "forum", "social"] | None = None,
    source: str | None = Query(None, max_length=100),
    theme: str | None = Query(None, max_length=100),
    label: Literal["negative", "neutral", "positive", "unscored"] | None = None,
    lang: str | None = Query(None, max_length=10),
    author: str | None = Query(None, max_length=300),
    since: datetime | None = None,
    until: datetime | None = None,
) -> PostFilter:
    since, until = _aware(since, "since"), _aware(until, "until")
    if since and until and since >= until:
        raise HTTPException(422, "'since' moet vóór 'until' liggen.")
    return PostFilter(q=q or None, channel=channel, source=source, theme=theme, label=label, lang=lang,
                      author=author, since=since, until=until)

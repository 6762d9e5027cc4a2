"""Query parameters shared by every post-based endpoint, turned into a core PostFilter."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Query

from core.store.filters import PostFilter
from core.vocabulary import CHANNELS, LABELS, UNSCORED

# Ids are 32-bit integers in the store; larger ones can't exist and must not reach the database.
ID_MAX = 2**31 - 1
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # Times without offset are taken as UTC, the way the API writes them.
        value = value.replace(tzinfo=timezone.utc)
    # Windows are computed around these (the window before, buckets); far-off years only overflow.
    if not EARLIEST <= value <= LATEST:
        raise HTTPException(422, f"Tijdstip buiten het bereik {EARLIEST.year}–{LATEST.year}: {value.isoformat()}")
    return value


def post_filter(
    q: str | None = Query(None, max_length=200, description="zoekwoorden"),
    channel: Literal[CHANNELS] | None = None,  # type: ignore[valid-type]
    source: str | None = Query(None, max_length=100),
    theme: str | None = Query(None, max_length=100),
    label: Literal[(*LABELS, UNSCORED)] | None = None,  # type: ignore[valid-type]
    lang: str | None = Query(None, max_length=10),
    author: str | None = Query(None, max_length=300),
    since: datetime | None = None,
    until: datetime | None = None,
) -> PostFilter:
    since, until = aware(since), aware(until)
    if since and until and since >= until:
        raise HTTPException(422, "'since' moet vóór 'until' liggen.")
    return PostFilter(q=q or None, channel=channel, source=source, theme=theme, label=label, lang=lang,
                      author=author, since=since, until=until)


Filters = Annotated[PostFilter, Depends(post_filter)]

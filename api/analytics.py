"""Aggregates as JSON: summary, timeline, themes, emerging issues, opinion makers, stories, alerts.

Each endpoint is the JSON twin of a core analytics function and takes the shared post filters.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import Connection

from core.analytics.authors import SORTS, opinion_makers
from core.analytics.emerging import ALERT_STATUSES, detect, list_alerts
from core.analytics.stories import top_stories
from core.analytics.summary import MIN_SAMPLE, summary
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.analytics.window import parse_window
from core.config.settings import Settings
from core.config.watch import WatchConfig
from core.store.filters import PostFilter

from .deps import get_config, get_conn, get_settings, read_access
from .params import post_filter

router = APIRouter(prefix="/api", tags=["analytics"], dependencies=[Depends(read_access)])

WINDOW = r"^\s*\d+\s*[smhdw]\s*$"


def _window(text: str) -> timedelta:
    try:
        return parse_window(text)
    except ValueError as exc:
        raise HTTPException(422, f"Ongeldig venster: {exc}") from None


@router.get("/summary")
def summary_view(
    window: str = Query("24h", pattern=WINDOW, description="bijv. 1h, 24h, 7d"),
    min_sample: int = Query(MIN_SAMPLE, ge=1, le=100000),
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
):
    return summary(conn, filters, window=_window(window), min_sample=min_sample)


@router.get("/timeline")
def timeline_view(
    window: str = Query("7d", pattern=WINDOW),
    bucket: Literal["hour", "day"] = "hour",
    by: Literal["label", "channel"] = "label",
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
    settings: Settings = Depends(get_settings),
):
    try:
        return timeline(conn, filters, window=_window(window), bucket=bucket, by=by, tz=settings.timezone)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/themes")
def themes_view(
    window: str = Query("24h", pattern=WINDOW),
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
    config: WatchConfig = Depends(get_config),
):
    return theme_stats(conn, config.themes, filters, window=_window(window))


@router.get("/issues")
def issues_view(
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
    config: WatchConfig = Depends(get_config),
):
    return {"items": detect(conn, config, filters=filters)}


@router.get("/authors")
def authors_view(
    window: str = Query("7d", pattern=WINDOW),
    sort: Literal[SORTS] = "impact",  # type: ignore[valid-type]
    limit: int = Query(20, ge=1, le=200),
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
):
    return opinion_makers(conn, filters, window=_window(window), sort=sort, limit=limit)


@router.get("/stories")
def stories_view(
    window: str = Query("24h", pattern=WINDOW),
    limit: int = Query(10, ge=1, le=200),
    min_posts: int = Query(1, ge=1, le=1000),
    filters: PostFilter = Depends(post_filter),
    conn: Connection = Depends(get_conn),
):
    return top_stories(conn, filters, window=_window(window), limit=limit, min_posts=min_posts)


@router.get("/alerts")
def alerts_view(
    status: Literal[ALERT_STATUSES] | None = None,  # type: ignore[valid-type]
    kind: Literal["theme", "term", "source"] | None = None,
    limit: int = Query(50, ge=1, le=500),
    conn: Connection = Depends(get_conn),
):
    return {"items": list_alerts(conn, status=status, kind=kind, limit=limit)}

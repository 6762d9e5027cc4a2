"""Aggregates as JSON: summary, timeline, themes, emerging issues, opinion makers, stories, alerts.

Each endpoint is the JSON twin of a core analytics function and takes the shared post filters.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from core.analytics.authors import SORTS, opinion_makers
from core.analytics.emerging import ALERT_STATUSES, detect, list_alerts
from core.analytics.stories import top_stories
from core.analytics.summary import MIN_SAMPLE, summary
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.analytics.window import parse_window

from .audit import filters_detail, log
from .deps import Config, Conn, Reader, SettingsDep, read_access
from .models import Alert, AuthorList, Counts, Issue, Items, StoryList, ThemeList, Timeline
from .params import Filters

router = APIRouter(prefix="/api", tags=["analytics"], dependencies=[Depends(read_access)])

WINDOW = r"^\s*\d+\s*[smhdw]\s*$"


def _window(text: str) -> timedelta:
    try:
        return parse_window(text)
    except ValueError as exc:
        raise HTTPException(422, f"Ongeldig venster: {exc}") from None


@router.get("/summary", response_model=Counts)
def summary_view(
    filters: Filters,
    conn: Conn,
    window: str = Query("24h", pattern=WINDOW, description="bijv. 1h, 24h, 7d"),
    min_sample: int = Query(MIN_SAMPLE, ge=1, le=100000),
):
    return summary(conn, filters, window=_window(window), min_sample=min_sample)


@router.get("/timeline", response_model=Timeline)
def timeline_view(
    filters: Filters,
    conn: Conn,
    settings: SettingsDep,
    window: str = Query("7d", pattern=WINDOW),
    bucket: Literal["hour", "day"] = "hour",
    by: Literal["label", "channel"] = "label",
):
    try:
        return timeline(conn, filters, window=_window(window), bucket=bucket, by=by, tz=settings.timezone)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/themes", response_model=ThemeList,
            description="Thema's met hun cijfers in `items`. Verouderd: dezelfde lijst staat ook onder `themes`; "
                        "die sleutel verdwijnt in de volgende versie, lees `items`.")
def themes_view(
    filters: Filters,
    conn: Conn,
    config: Config,
    window: str = Query("24h", pattern=WINDOW),
):
    stats = theme_stats(conn, config.themes, filters, window=_window(window))
    # `themes` stays beside `items` for one release (deprecated; see the README).
    return {"items": stats["themes"], **stats}


@router.get("/issues", response_model=Items[Issue])
def issues_view(
    filters: Filters,
    conn: Conn,
    config: Config,
    settings: SettingsDep,
):
    return {"items": detect(conn, config, filters=filters, tz=settings.timezone)}


@router.get("/authors", response_model=AuthorList)
def authors_view(
    request: Request,
    filters: Filters,
    conn: Conn,
    actor: Reader,
    config: Config,
    window: str = Query("7d", pattern=WINDOW),
    sort: Literal[SORTS] = "impact",  # type: ignore[valid-type]
    limit: int = Query(20, ge=1, le=200),
):
    result = opinion_makers(conn, filters, window=_window(window), sort=sort, limit=limit,
                            aliases=config.privacy.aliases)
    # A ranking of people: who looked at it is logged.
    log(conn, request, actor, "authors", {**filters_detail(filters), "window": window, "sort": sort})
    return result


@router.get("/stories", response_model=StoryList)
def stories_view(
    filters: Filters,
    conn: Conn,
    window: str = Query("24h", pattern=WINDOW),
    limit: int = Query(10, ge=1, le=200),
    min_posts: int = Query(1, ge=1, le=1000),
):
    return top_stories(conn, filters, window=_window(window), limit=limit, min_posts=min_posts)


@router.get("/alerts", response_model=Items[Alert])
def alerts_view(
    conn: Conn,
    status: Literal[ALERT_STATUSES] | None = None,  # type: ignore[valid-type]
    kind: Literal["theme", "term", "source"] | None = None,
    limit: int = Query(50, ge=1, le=500),
):
    return {"items": list_alerts(conn, status=status, kind=kind, limit=limit)}

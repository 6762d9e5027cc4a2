"""The newsletter archive: each week built from the store and kept in core.store.newsletters as mailed.

A week that was sent is never rebuilt in place: the archive keeps what the recipients received, until
the first post it quotes passes its retention; then its content goes (core.store.newsletters.expire).
"""
from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from core.config.watch import WatchConfig
from core.store import newsletters as store
from core.store.newsletters import get

from .build import build_week
from .render import Rendered, render
from .weeks import parse_week, week_range


def quoted(data: dict) -> tuple[list[int], list[int]]:
    """The ids of the posts a built week quotes (examples, images, quotes, a quiet week's posts) and of
    the stories it names."""
    shown = [*data.get("images", []), *data.get("posts", []),
             *(post for label in data.get("quotes", {}).values() for post in label),
             *(post for issue in data.get("emerging", []) for post in issue.get("examples", []))]
    return sorted({post["id"] for post in shown}), sorted({story["id"] for story in data.get("stories", [])})


def make(conn: Connection, config: WatchConfig, week: str, tz: str | ZoneInfo) -> Rendered:
    """Build and render one week from the store, without saving it; with when its quotes expire."""
    data = build_week(conn, config, week, tz)
    expires_at = store.quoted_until(conn, *quoted(data), config.privacy.retention)
    return replace(render(data), expires_at=expires_at)


def save(conn: Connection, week: str, rendered: Rendered) -> bool:
    """Store the week's newsletter, replacing an unsent one; False (and nothing changed) once sent."""
    parse_week(week)
    return store.save(conn, week, subject=rendered.subject, html=rendered.html, text=rendered.text,
                      expires_at=rendered.expires_at)


def is_complete(row, tz: str | ZoneInfo) -> bool:
    """Whether the stored newsletter was built after its week was over (a preview built mid-week is not)."""
    return row.built_at >= week_range(row.week, tz)[1]


__all__ = ["build_and_save", "get", "is_complete", "make", "save"]


def build_and_save(engine: Engine, config: WatchConfig, week: str, tz: str | ZoneInfo) -> tuple[Rendered, bool]:
    """Build the week from the store and save it; returns the newsletter and whether it was saved."""
    with engine.connect() as conn:
        rendered = make(conn, config, week, tz)
    with engine.begin() as conn:
        saved = save(conn, week, rendered)
    return rendered, saved

"""The newsletters table: one row per ISO week with the subject, HTML and text as built and mailed.

A week that was sent is never rebuilt in place: the archive keeps what the recipients received.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select, update

from core.config.watch import WatchConfig
from core.store.schema import newsletters, utcnow

from .build import build_week
from .render import Rendered, render
from .weeks import parse_week, week_range


def make(conn: Connection, config: WatchConfig, week: str, tz: str | ZoneInfo) -> Rendered:
    """Build and render one week from the store, without saving it."""
    return render(build_week(conn, config, week, tz))


def get(conn: Connection, week: str):
    return conn.execute(select(newsletters).where(newsletters.c.week == week)).first()


def save(conn: Connection, week: str, rendered: Rendered) -> bool:
    """Store the week's newsletter, replacing an unsent one; False (and nothing changed) once sent."""
    parse_week(week)
    values = {"subject": rendered.subject, "html": rendered.html, "text": rendered.text, "built_at": utcnow()}
    row = get(conn, week)
    if row is None:
        conn.execute(insert(newsletters).values(week=week, recipients=[], attempts=0, **values))
        return True
    if row.sent_at is not None:
        return False
    result = conn.execute(
        update(newsletters).where(newsletters.c.week == week, newsletters.c.sent_at.is_(None)).values(**values)
    )
    return result.rowcount == 1


def is_complete(row, tz: str | ZoneInfo) -> bool:
    """Whether the stored newsletter was built after its week was over (a preview built mid-week is not)."""
    return row.built_at >= week_range(row.week, tz)[1]


def build_and_save(engine: Engine, config: WatchConfig, week: str, tz: str | ZoneInfo) -> tuple[Rendered, bool]:
    """Build the week from the store and save it; returns the newsletter and whether it was saved."""
    with engine.connect() as conn:
        rendered = make(conn, config, week, tz)
    with engine.begin() as conn:
        saved = save(conn, week, rendered)
    return rendered, saved

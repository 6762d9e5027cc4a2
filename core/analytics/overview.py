"""The workspace's Overzicht: today's mood with the change and the themes that move (the costly part),
and the fingerprint of what staff change by hand, which must show on the page at once.

The figures are the summary's and the themes' (core.analytics.summary, core.analytics.themes) over the
last 24 hours; at a million posts they cost tens of milliseconds, so the workspace keeps them a short
while (workspace/overview.py) and recomputes them early when `staff_version` changes.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Connection, func, select

from core.analytics.summary import summary
from core.analytics.themes import theme_stats
from core.analytics.wall import CRISIS_KEY
from core.config.watch import Theme
from core.store.meta import get_meta
from core.store.schema import alerts, label_corrections, utcnow

DAY = timedelta(hours=24)


def figures(conn: Connection, themes: Sequence[Theme], *, now: datetime | None = None) -> dict[str, Any]:
    """`{"mood": summary of the last 24 hours, "themes": theme_stats' list, "at": now}`."""
    now = now or utcnow()
    return {"mood": summary(conn, window=DAY, now=now),
            "themes": theme_stats(conn, themes, window=DAY, now=now)["themes"],
            "at": now}


def staff_version(conn: Connection) -> tuple:
    """Changes when a person changed what the figures show: a label corrected, a signal opened,
    acknowledged or resolved, the crisis switched. Index lookups and the small alerts table only.

    New posts and scores are left out on purpose: they arrive every few seconds on a busy store, and
    a mood a minute old is still today's mood."""
    correction = conn.execute(select(func.max(label_corrections.c.id))).scalar()
    open_alerts = conn.execute(select(func.count(), func.max(alerts.c.updated_at)).where(alerts.c.status == "open")).one()
    return (correction, *open_alerts, get_meta(conn, CRISIS_KEY))

"""The Overzicht's costly figures (mood and themes of the last 24 hours), kept per process for a short
while: every member of the webcare team opens this page first, often, and at a million posts the
figures cost tens of milliseconds each time (more on a loaded machine), while they move slowly.

They are recomputed when they are older than MAX_AGE (the age the wall allows its own slow panels),
when the themes changed, or at once when a person changed what they show (core.analytics.overview
.staff_version: a correction, a signal, the crisis switch), so a correction shows on the next view.
One request computes them while the others wait for its result instead of computing them too.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Connection

from core.analytics.overview import figures, staff_version
from core.analytics.wall import SLOW_EVERY
from core.config.watch import Theme

MAX_AGE = SLOW_EVERY.total_seconds()


@dataclass
class _Entry:
    figures: dict[str, Any]
    version: tuple
    themes: list[Theme]
    computed: float


class OverviewFigures:
    def __init__(self, max_age: float = MAX_AGE):
        self.max_age = max_age
        self._entry: _Entry | None = None
        self._lock = threading.Lock()

    def get(self, conn: Connection, themes: Sequence[Theme], *, now: datetime | None = None) -> dict[str, Any]:
        """`core.analytics.overview.figures`, at most MAX_AGE seconds old and current with staff's changes
        (`now`: the moment figures computed here are for; the benchmark's, else the clock's)."""
        version = staff_version(conn)
        with self._lock:
            entry = self._entry
            if (entry is None or entry.version != version or entry.themes != list(themes)
                    or time.monotonic() - entry.computed >= self.max_age):
                entry = self._entry = _Entry(figures(conn, themes, now=now), version, list(themes), time.monotonic())
            return entry.figures

    def expire(self) -> None:
        """Compute afresh on the next view (posts were erased: not in staff_version)."""
        with self._lock:
            self._entry = None


_making = threading.Lock()


def overview_figures(app_state) -> OverviewFigures:
    """The application's one OverviewFigures (made on first use)."""
    with _making:
        cache = getattr(app_state, "overview_figures", None)
        if cache is None:
            cache = app_state.overview_figures = OverviewFigures()
        return cache

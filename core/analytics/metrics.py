"""Operational figures of the store for /metrics: ingest, crawls, scoring, alerts."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from core.store.schema import alerts, crawl_runs, posts, scores, sources, utcnow
from core.store.scores import count_unscored, scoring_health

RATE_WINDOW = timedelta(minutes=5)


def store_metrics(conn: Connection, *, now: datetime | None = None, include_other_languages: bool = False) -> dict[str, Any]:
    now = now or utcnow()
    names = dict(conn.execute(select(sources.c.id, sources.c.name)).all())
    per_source: dict[str, dict[str, Any]] = {name: {"posts": 0, "ingested": 0, "runs": {}, "failures": 0, "last_success": None}
                  for name in names.values()}
    for source_id, n in conn.execute(select(posts.c.source_id, func.count()).group_by(posts.c.source_id)):
        per_source[names[source_id]]["posts"] = n
    for source_id, status, n, new in conn.execute(
        select(crawl_runs.c.source_id, crawl_runs.c.status, func.count(), func.coalesce(func.sum(crawl_runs.c.new), 0))
        .group_by(crawl_runs.c.source_id, crawl_runs.c.status)
    ):
        entry = per_source[names[source_id]]
        entry["runs"][status] = n
        entry["ingested"] += int(new)
        if status == "failed":
            entry["failures"] = n
    for source_id, finished in conn.execute(
        select(crawl_runs.c.source_id, func.max(crawl_runs.c.finished_at))
        .where(crawl_runs.c.status == "ok").group_by(crawl_runs.c.source_id)
    ):
        per_source[names[source_id]]["last_success"] = finished
    scored_total = conn.execute(select(func.count()).select_from(scores)).scalar_one()
    scored_recent = conn.execute(
        select(func.count()).select_from(scores).where(scores.c.scored_at >= now - RATE_WINDOW)
    ).scalar_one()
    open_alerts: dict[tuple[str, str], int] = {}
    for kind, status, n in conn.execute(
        select(alerts.c.kind, alerts.c.status, func.count()).where(alerts.c.status != "resolved")
        .group_by(alerts.c.kind, alerts.c.status)
    ):
        open_alerts[(kind, status)] = n
    undelivered = conn.execute(
        select(func.count()).select_from(alerts).where(alerts.c.delivered_at.is_(None))
    ).scalar_one()
    return {
        "sources": per_source,
        "scored_total": scored_total,
        "scoring_rate_per_minute": scored_recent / (RATE_WINDOW.total_seconds() / 60),
        "unscored": count_unscored(conn, include_other_languages=include_other_languages),
        "stale": (scoring_health(conn) or {"stale": 0})["stale"],
        "alerts": open_alerts,
        "alerts_undelivered": undelivered,
    }

"""The life of an alert in the store after core.emerging opened it: one alert with the posts behind it,
acknowledge and resolve, source-health alerts for silent sources, and the delivery bookkeeping the
alerting room (alerting/deliver.py) relies on.

Statuses: open -> acknowledged -> resolved (or open -> resolved). Every change is kept in
details["history"] with who and when.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from core.config.watch import WatchConfig, parse_duration
from core.post import PostBrief
from core.store.locks import serialise
from core.store.schema import alerts, crawl_runs, posts, scores, sources, utcnow
from core.store.sources import last_successes

MAX_POSTS = 50
# A source is silent after this many of its intervals without a successful crawl, or without a new
# post while its own average of the last week expected at least EXPECTED_MISSING of them by now.
SILENT_INTERVALS = 6
EXPECTED_MISSING = 10
RATE_WINDOW = timedelta(days=7)
# The lock (core.store.locks.serialise) every transaction that opens alerts takes first.
OPENING_ALERTS = "alerts:open"


class AlertNotFound(LookupError):
    pass


class BadTransition(ValueError):
    pass


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def alert_dict(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "key": row.key,
        "status": row.status,
        "severity": row.severity,
        "title": row.title,
        "page": row.page,
        "details": row.details,
        "post_ids": row.post_ids,
        "opened_at": _iso(row.opened_at),
        "updated_at": _iso(row.updated_at),
        "resolved_at": _iso(row.resolved_at),
        "delivered_at": _iso(row.delivered_at),
    }


def alert_posts(conn: Connection, post_ids: list[int], limit: int = MAX_POSTS) -> list[dict[str, Any]]:
    """The posts behind an alert, in the alert's order (strongest evidence first), still in the store."""
    ids = [int(i) for i in post_ids[:limit]]
    if not ids:
        return []
    rows = conn.execute(
        select(posts.c.id, posts.c.url, posts.c.title, posts.c.text, posts.c.author, posts.c.channel,
               posts.c.published_at, sources.c.name.label("source"), scores.c.label)
        .join(sources, sources.c.id == posts.c.source_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    result = []
    for post_id in ids:
        row = by_id.get(post_id)
        if row is None:  # deleted by retention since
            continue
        result.append(PostBrief.from_row(row, collapse=True).as_json())
    return result


def get_alert(conn: Connection, alert_id: int, *, with_posts: bool = True) -> dict[str, Any]:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    alert = alert_dict(row)
    if with_posts:
        alert["posts"] = alert_posts(conn, row.post_ids or [])
    return alert


def _history(details: dict, status: str, actor: str, at: datetime, note: str | None) -> dict:
    entry = {"status": status, "by": actor, "at": at.isoformat()}
    if note:
        entry["note"] = note
    return {**details, "history": [*details.get("history", []), entry]}


def set_status(conn: Connection, alert_id: int, status: str, *, actor: str, note: str | None = None,
               now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Acknowledge or resolve an alert; returns (the alert, whether it changed). Repeating the
    current status changes nothing; a resolved alert cannot be acknowledged again (BadTransition)."""
    if status not in ("acknowledged", "resolved"):
        raise BadTransition(f"unknown status {status!r}")
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    if row.status == status:
        return get_alert(conn, alert_id), False
    if row.status == "resolved":
        raise BadTransition("Dit signaal is al afgehandeld.")
    now = now or utcnow()
    values = {"status": status, "updated_at": now, "details": _history(row.details or {}, status, actor, now, note)}
    if status == "resolved":
        values["resolved_at"] = now
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))
    return get_alert(conn, alert_id), True


# --- silent sources -------------------------------------------------------------------------------

def silent_sources(conn: Connection, config: WatchConfig, now: datetime | None = None,
                   intervals: int = SILENT_INTERVALS, awake_since: datetime | None = None) -> dict[str, dict[str, Any]]:
    """{source name: why it is silent} for enabled, configured sources that should have been heard.

    Silent: no successful crawl for `intervals` of its intervals (the crawler is failing), or no new
    post for that long while its own average rate in the week before expected at least
    EXPECTED_MISSING posts in that time (the crawler runs but finds nothing: a changed feed or page).
    `awake_since`: when the scheduler started; a source is not missed before it had its chances since
    then, so a server that was down overnight doesn't raise an alert for every source at start.
    """
    now = now or utcnow()
    configured = {s.name for s in config.sources if s.enabled}
    rows = conn.execute(select(sources).where(sources.c.enabled.is_(True))).all()
    last_ok = last_successes(conn)
    last_post = dict(conn.execute(
        select(posts.c.source_id, func.max(posts.c.fetched_at)).group_by(posts.c.source_id)
    ).all())
    silent = {}
    for source in rows:
        if source.name not in configured:
            continue
        every = timedelta(seconds=source.every_seconds)
        limit = now - intervals * every
        if source.created_at > limit or (awake_since is not None and awake_since > limit):
            continue  # too young to be missed, or not crawled long enough since the start
        ok_at, post_at = last_ok.get(source.id), last_post.get(source.id)
        base = {"every_seconds": source.every_seconds, "last_success": _iso(ok_at), "last_post": _iso(post_at)}
        if ok_at is None or ok_at < limit:
            run = conn.execute(
                select(crawl_runs.c.status, crawl_runs.c.error, crawl_runs.c.started_at)
                .where(crawl_runs.c.source_id == source.id).order_by(crawl_runs.c.id.desc()).limit(1)
            ).first()
            silent[source.name] = {**base, "reason": "crawl", "last_error": run.error if run else None,
                                   "last_run": _iso(run.started_at) if run else None}
            continue
        if post_at is None or post_at >= limit:
            continue
        # Its own average rate in the week before the silence began.
        before = conn.execute(
            select(func.count()).where(posts.c.source_id == source.id, posts.c.fetched_at > post_at - RATE_WINDOW)
        ).scalar_one()
        expected = before / RATE_WINDOW.total_seconds() * (now - post_at).total_seconds()
        if expected >= EXPECTED_MISSING:
            silent[source.name] = {**base, "reason": "posts", "expected": round(expected, 1)}
    return silent


def _source_title(name: str, why: dict[str, Any], tz) -> str:
    def when(value: str | None) -> str:
        if not value:
            return "nooit"
        return datetime.fromisoformat(value).astimezone(tz).strftime("%d-%m %H:%M")

    every = why["every_seconds"] // 60 or 1
    if why["reason"] == "crawl":
        return f"Bron {name} stil: geen geslaagde crawl sinds {when(why['last_success'])} (elke {every} min)"
    return (f"Bron {name} stil: geen nieuwe berichten sinds {when(why['last_post'])} "
            f"(normaal ongeveer {round(why['expected'])} in die tijd)")


def check_sources(conn: Connection, config: WatchConfig, now: datetime | None = None, *, tz=None,
                  intervals: int = SILENT_INTERVALS, awake_since: datetime | None = None) -> dict[str, list[int]]:
    """Open a source alert (kind "source") for every silent source that has none unresolved and had
    none opened within the cooldown; resolve the source alerts of sources that are heard again.
    Returns {"opened": [ids], "resolved": [ids]}."""
    from zoneinfo import ZoneInfo

    now = now or utcnow()
    tz = tz or ZoneInfo("Europe/Amsterdam")
    cooldown = parse_duration(config.alerts.cooldown)
    serialise(conn, OPENING_ALERTS)  # one process at a time: an alert is opened once, on any host
    silent = silent_sources(conn, config, now, intervals, awake_since)
    unresolved = conn.execute(
        select(alerts).where(alerts.c.kind == "source", alerts.c.status != "resolved")
    ).all()
    resolved = []
    for row in unresolved:
        if row.key not in silent:
            conn.execute(update(alerts).where(alerts.c.id == row.id).values(
                status="resolved", resolved_at=now, updated_at=now,
                details=_history(row.details or {}, "resolved", "system", now, "bron weer actief"),
            ))
            resolved.append(row.id)
    still_open = {row.key for row in unresolved if row.key in silent}
    opened = []
    for name, why in silent.items():
        if name in still_open:
            continue
        recent = conn.execute(select(alerts.c.id).where(and_(
            alerts.c.kind == "source", alerts.c.key == name, alerts.c.opened_at > now - cooldown,
        )).limit(1)).first()
        if recent is not None:
            continue
        opened.append(conn.execute(insert(alerts).values(
            kind="source", key=name, status="open",
            severity="critical" if why["reason"] == "crawl" else "warning",
            title=_source_title(name, why, tz), page=None, details=why, post_ids=[],
            opened_at=now, updated_at=now,
        )).inserted_primary_key[0])
    return {"opened": opened, "resolved": resolved}


# --- delivery bookkeeping -------------------------------------------------------------------------

def pending_alerts(conn: Connection) -> list[dict[str, Any]]:
    """Alerts not yet delivered, oldest first."""
    rows = conn.execute(select(alerts).where(alerts.c.delivered_at.is_(None)).order_by(alerts.c.opened_at, alerts.c.id))
    return [alert_dict(row) for row in rows]


def recent_deliveries(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Alerts that reached someone since `since`: [{"id", "kind", "key", "post_ids", "targets"}], where
    targets are the delivery targets that got it."""
    rows = conn.execute(
        select(alerts.c.id, alerts.c.kind, alerts.c.key, alerts.c.post_ids, alerts.c.details)
        .where(alerts.c.delivered_at.is_not(None), alerts.c.delivered_at > since)
        .order_by(alerts.c.delivered_at.desc())
    ).all()
    result = []
    for row in rows:
        targets = {t for t, d in (row.details or {}).get("deliveries", {}).items() if d.get("ok")}
        if targets:
            result.append({"id": row.id, "kind": row.kind, "key": row.key, "post_ids": set(row.post_ids or []),
                           "targets": targets})
    return result


def save_delivery(conn: Connection, alert_id: int, *, deliveries: dict[str, dict], done: bool,
                  now: datetime, note: str | None = None) -> None:
    """Store the per-target delivery state; `done` stamps delivered_at so the alert leaves the queue."""
    row = conn.execute(select(alerts.c.details).where(alerts.c.id == alert_id)).first()
    details = dict(row.details or {}) if row else {}
    details["deliveries"] = deliveries
    if note:
        details["delivery_note"] = note
    values: dict[str, Any] = {"details": details}
    if done:
        values["delivered_at"] = now
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))

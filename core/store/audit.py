"""The audit log: who searched, exported or changed what (AVG/GDPR accountability).

The actor is the name of the API token used (NEWSROOM_API_TOKENS="kcc:…,adviseurs:…"), "admin" for
NEWSROOM_API_TOKEN, "reader" for the read token and "anonymous" where reads are open.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from core.store.schema import audit_log, utcnow

MAX_LIMIT = 500


def record(conn: Connection, actor: str, action: str, detail: dict[str, Any] | None = None) -> int:
    """Add one entry; `detail` must be JSON (filters as given, names, before/after)."""
    return conn.execute(
        insert(audit_log).values(at=utcnow(), actor=actor[:100], action=action[:50], detail=detail or {})
    ).inserted_primary_key[0]


def prune(conn: Connection, before: datetime) -> int:
    """Delete the entries older than `before` (the retention job, privacy.audit_retention); returns how many."""
    return conn.execute(delete(audit_log).where(audit_log.c.at < before)).rowcount


def entries(conn: Connection, *, actor: str | None = None, action: str | None = None,
            since: datetime | None = None, until: datetime | None = None,
            limit: int = 100, before: int | None = None) -> dict:
    """Newest first: `{"items": [{"id", "at", "actor", "action", "detail"}], "next": id or None}`;
    pass `next` as `before` for the following page. `action` matches exactly or as a prefix ending
    in '.' ("config." gives every config change)."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(audit_log)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        if action.endswith("."):
            query = query.where(audit_log.c.action.startswith(action, autoescape=True))
        else:
            query = query.where(audit_log.c.action == action)
    if since:
        query = query.where(audit_log.c.at >= since)
    if until:
        query = query.where(audit_log.c.at < until)
    if before is not None:
        query = query.where(audit_log.c.id < before)
    rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit + 1)).all()
    items = [
        {"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "detail": r.detail}
        for r in rows[:limit]
    ]
    return {"items": items, "next": rows[limit - 1].id if len(rows) > limit else None}

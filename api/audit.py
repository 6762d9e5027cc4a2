"""The audit log: written by the endpoints that search, export or change; read by the administrator."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection

from core.store import audit
from core.store.filters import PostFilter

from .deps import Admin, Conn
from .models import AuditPage
from .params import ID_MAX, aware

router = APIRouter(prefix="/api", tags=["audit"])


def filters_detail(filters: PostFilter) -> dict[str, Any]:
    """The filters as given, for the log (only those set)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(filters).items() if v is not None}


def log(conn: Connection, request: Request, actor: str, action: str, detail: dict[str, Any]) -> None:
    """One audit entry, with the client's address, committed on the request's own connection.

    A second connection per request would let concurrent reads drain the pool while each waits for
    its audit write. Ending the read first gives the write a fresh transaction, which waits for
    SQLite's lock instead of failing on a stale snapshot.
    """
    client = request.client.host if request.client else None
    conn.commit()
    audit.record(conn, actor, action, {**detail, "client": client})
    conn.commit()


@router.get("/audit", response_model=AuditPage)
def audit_view(
    conn: Conn,
    _admin: Admin,
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=50, description="bijv. search, export, config. (alle wijzigingen)"),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=500),
    before: int | None = Query(None, ge=1, le=ID_MAX, description="de 'next' van de vorige pagina"),
):
    return audit.entries(conn, actor=actor, action=action, since=aware(since), until=aware(until),
                         limit=limit, before=before)

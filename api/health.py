"""Liveness and source health."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, text

from core.store.sources import source_health

from .deps import get_conn, read_access

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(conn: Connection = Depends(get_conn)):
    conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/api/sources", dependencies=[Depends(read_access)])
def sources_health(conn: Connection = Depends(get_conn)):
    return {"items": source_health(conn)}

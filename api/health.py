"""Liveness and source health."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from core.store.db import ping
from core.store.sources import source_health

from .deps import Conn, read_access
from .models import Health, Items, SourceHealth

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(conn: Conn):
    ping(conn)
    return {"status": "ok"}


@router.get("/api/sources", dependencies=[Depends(read_access)], response_model=Items[SourceHealth])
def sources_health(conn: Conn):
    return {"items": source_health(conn)}

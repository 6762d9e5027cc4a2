"""Small named values the application keeps between runs (themes hash, tagging progress, the crisis switch)."""
from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from core.store.schema import meta, utcnow


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(meta).where(meta.c.key == key))
    conn.execute(insert(meta).values(key=key, value=value, updated_at=utcnow()))

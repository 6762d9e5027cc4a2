"""Small named values the application keeps between runs (themes hash, tagging progress, the crisis switch)."""
from __future__ import annotations

from sqlalchemy import Connection, select

from core.store.batch import insert_rows
from core.store.schema import meta, utcnow


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

def set_meta(conn: Connection, key: str, value: str) -> None:
    """An upsert: processes that set the same key at once (workers starting side by side) do not collide."""
    insert_rows(conn, meta, [{"key": key, "value": value, "updated_at": utcnow()}], conflict=("key",),
                update=("value", "updated_at"))

"""The task engine's queue as figures for /metrics (PostgreSQL, when `newsroom worker` is in use):
jobs per queue and status (waiting `todo`, running `doing`, `failed`, ...), failed jobs per task, and
the workers that reported in lately. Read from procrastinate's own tables; empty on SQLite."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

# A worker that sent no heartbeat for this long is not counted as alive.
WORKER_ALIVE_SECONDS = 60


def queue_figures(conn: Connection) -> dict[str, Any]:
    """{"jobs": {(queue, status): n}, "failed": {task: n}, "workers": n}; all empty without the engine."""
    empty: dict[str, Any] = {"jobs": {}, "failed": {}, "workers": 0}
    if conn.dialect.name != "postgresql":
        return empty
    if not conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar():
        return empty
    jobs = {(row.queue_name, row.status): row.n for row in conn.execute(text(
        "SELECT queue_name, status::text AS status, count(*) AS n FROM procrastinate_jobs GROUP BY 1, 2"))}
    failed: dict[str, int] = {row[0]: row[1] for row in conn.execute(text(
        "SELECT task_name, count(*) FROM procrastinate_jobs WHERE status = 'failed' GROUP BY 1"))}
    workers = conn.execute(text(
        "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => :s)"),
        {"s": WORKER_ALIVE_SECONDS}).scalar()
    return {"jobs": jobs, "failed": failed, "workers": workers}

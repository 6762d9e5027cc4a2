"""Sources and their crawl runs: sync from the watch config, per-run bookkeeping, source health."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.config.watch import Source, WatchConfig
from core.store.schema import crawl_runs, posts, sources, utcnow


def _source_values(source: Source) -> dict[str, Any]:
    return {
        "kind": source.kind,
        "channel": source.channel,
        "url": source.url,
        "local": source.local,
        "enabled": source.enabled,
        "every_seconds": int(source.interval.total_seconds()),
        "options": {
            **source.options,
            "follow_articles": source.follow_articles,
            "max_items": source.max_items,
        },
    }

def sync_sources(conn: Connection, config: WatchConfig) -> dict[str, int]:
    """Make the sources table match the config; sources no longer configured are disabled, not deleted."""
    existing = {row.name: row.id for row in conn.execute(select(sources.c.name, sources.c.id))}
    ids: dict[str, int] = {}
    now = utcnow()
    for source in config.sources:
        values = _source_values(source)
        if source.name in existing:
            conn.execute(update(sources).where(sources.c.id == existing[source.name]).values(**values, updated_at=now))
            ids[source.name] = existing[source.name]
        else:
            try:
                # Crawl processes sync at start too; a savepoint lets a lost insert race end in an update.
                with conn.begin_nested():
                    ids[source.name] = conn.execute(
                        insert(sources).values(name=source.name, state={}, created_at=now, updated_at=now, **values)
                    ).inserted_primary_key[0]
            except IntegrityError:
                ids[source.name] = get_source(conn, source.name).id
                conn.execute(update(sources).where(sources.c.id == ids[source.name]).values(**values, updated_at=now))
    gone = set(existing) - set(ids)
    if gone:
        conn.execute(update(sources).where(sources.c.name.in_(gone)).values(enabled=False, updated_at=now))
    return ids

def get_source(conn: Connection, name: str):
    row = conn.execute(select(sources).where(sources.c.name == name)).first()
    if row is None:
        raise KeyError(f"unknown source {name!r}")
    return row

def save_source_state(conn: Connection, source_id: int, state: dict) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id).values(state=state, updated_at=utcnow()))

@dataclass
class RunCounts:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    not_modified: int = 0
    requests: int = 0
    messages: list[str] = field(default_factory=list)

    def as_values(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("fetched", "new", "duplicates", "errors", "not_modified", "requests")}

def start_run(conn: Connection, source_id: int) -> int:
    return conn.execute(
        insert(crawl_runs).values(source_id=source_id, started_at=utcnow(), status="running", pid=os.getpid())
    ).inserted_primary_key[0]

def finish_run(conn: Connection, run_id: int, counts: RunCounts, *, failed: bool, error: str | None = None) -> None:
    started = conn.execute(select(crawl_runs.c.started_at).where(crawl_runs.c.id == run_id)).scalar_one()
    finished = utcnow()
    conn.execute(
        update(crawl_runs)
        .where(crawl_runs.c.id == run_id)
        .values(
            status="failed" if failed else "ok",
            finished_at=finished,
            duration_s=(finished - started).total_seconds(),
            error=(error or "\n".join(counts.messages[:20]) or None),
            **counts.as_values(),
        )
    )

def abandon_stale_runs(
    conn: Connection, source_id: int | None = None, error: str = "crawl process ended without finishing (killed?)"
) -> int:
    """Runs still 'running' whose process is gone (killed mid-crawl) are marked failed with `error`."""
    query = select(crawl_runs.c.id, crawl_runs.c.pid).where(crawl_runs.c.status == "running")
    if source_id is not None:
        query = query.where(crawl_runs.c.source_id == source_id)
    stale = [row.id for row in conn.execute(query) if not _process_alive(row.pid)]
    if stale:
        conn.execute(
            update(crawl_runs)
            .where(crawl_runs.c.id.in_(stale))
            .values(status="failed", finished_at=utcnow(), error=error)
        )
    return len(stale)

def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

def latest_run(conn: Connection, source_id: int):
    return conn.execute(
        select(crawl_runs).where(crawl_runs.c.source_id == source_id).order_by(crawl_runs.c.id.desc()).limit(1)
    ).first()

def get_run(conn: Connection, run_id: int):
    return conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).first()

def source_health(conn: Connection) -> list[dict[str, Any]]:
    """Per source: last run, last success, posts stored, and the last run's counts and error."""
    post_counts = dict(conn.execute(select(posts.c.source_id, func.count()).group_by(posts.c.source_id)).all())
    last_ok = dict(
        conn.execute(
            select(crawl_runs.c.source_id, func.max(crawl_runs.c.finished_at))
            .where(crawl_runs.c.status == "ok")
            .group_by(crawl_runs.c.source_id)
        ).all()
    )
    failures = dict(
        conn.execute(
            select(crawl_runs.c.source_id, func.count())
            .where(crawl_runs.c.status == "failed")
            .group_by(crawl_runs.c.source_id)
        ).all()
    )
    result = []
    for source in conn.execute(select(sources).order_by(sources.c.name)):
        run = latest_run(conn, source.id)
        result.append(
            {
                "name": source.name,
                "kind": source.kind,
                "channel": source.channel,
                "url": source.url,
                "enabled": source.enabled,
                "every_seconds": source.every_seconds,
                "posts": post_counts.get(source.id, 0),
                "failed_runs": failures.get(source.id, 0),
                "last_run": dict(run._mapping) if run else None,
                "last_success": last_ok.get(source.id),
                "status": _health_status(source, run),
            }
        )
    return result

def _health_status(source, run) -> str:
    if not source.enabled:
        return "uit"
    if run is None:
        return "nog niet gedraaid"
    if run.status == "running":
        return "bezig"
    if run.status == "failed":
        return "fout"
    return "ok" if not run.errors else "ok met fouten"

"""Store operations on sources, crawl runs and posts: plain functions over a SQLAlchemy Connection.

Every writer (crawl processes, the scorer, the API) goes through these, so de-duplication and
run bookkeeping have one home.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .config import Source, Theme, WatchConfig
from .matching import fold
from .schema import crawl_runs, posts, sources, utcnow
from .stories import assign_story
from .themes import tag_post

# Tracking parameters that never change what a page shows.
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "ocid", "xtor", "at_medium", "at_campaign")


def canonical_url(url: str | None) -> str | None:
    """Scheme/host lower-cased, default port, fragment and tracking parameters dropped, query sorted."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    )
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    # http and https serve the same article; keep one scheme so both de-duplicate.
    return urlunsplit(("https", netloc, path, urlencode(query), ""))[:1024]


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of the folded title + text, so whitespace, case and accents don't make a new post."""
    material = fold(f"{title or ''}\n{text or ''}")
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# --- sources -------------------------------------------------------------------------------------

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


# --- crawl runs ----------------------------------------------------------------------------------

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


# --- posts ---------------------------------------------------------------------------------------

POST_FIELDS = (
    "external_id", "url", "title", "text", "author", "author_id", "author_public", "author_reach",
    "likes", "reposts", "replies", "image_url", "lang", "parent_external_id", "thread_url",
    "published_at", "extra",
)
ENGAGEMENT = ("likes", "reposts", "replies", "author_reach")


def save_post(conn: Connection, source, item: dict[str, Any], themes: Sequence[Theme] = ()) -> tuple[str, int]:
    """Store one post for `source` (a sources row); returns ('new' | 'duplicate', post id).

    A new post is tagged with the `themes` it matches and put in its story (core.themes, core.stories).

    A post is a duplicate when its source already has its external id or content (on forums and
    social media: the same content by the same author), or when any source
    already has its canonical URL. A duplicate's engagement counts are refreshed: they only grow.
    The same text from another source (syndication) is a new post; core.stories groups them.
    """
    if not item.get("external_id"):
        raise ValueError("post without external_id")
    if not isinstance(item.get("published_at"), datetime) or item["published_at"].tzinfo is None:
        raise ValueError("post without an aware published_at")
    canon = canonical_url(item.get("url"))
    digest = content_hash(item.get("title"), item.get("text"))
    conditions = [
        and_(posts.c.source_id == source.id, posts.c.external_id == item["external_id"][:512]),
        and_(posts.c.source_id == source.id, posts.c.content_hash == digest),
    ]
    if source.channel != "news":
        # On forums and social media two people may write the same short reply ("Dank je!"):
        # the same text is only a repeat when the same author posts it again.
        conditions[1] = and_(conditions[1], posts.c.author_id == item.get("author_id"))
    if canon:
        conditions.append(posts.c.canonical_url == canon)
    existing = conn.execute(select(posts.c.id).where(or_(*conditions)).limit(1)).scalar()
    if existing is not None:
        refresh = {k: item[k] for k in ENGAGEMENT if item.get(k) is not None}
        if refresh:
            conn.execute(update(posts).where(posts.c.id == existing).values(**refresh))
        return "duplicate", existing
    values = {k: item.get(k) for k in POST_FIELDS}
    values["external_id"] = values["external_id"][:512]
    values["text"] = values["text"] or ""
    values["author_public"] = bool(values["author_public"])
    values["extra"] = values["extra"] or {}
    post_id = conn.execute(
        insert(posts).values(
            source_id=source.id,
            channel=source.channel,
            canonical_url=canon,
            content_hash=digest,
            fetched_at=utcnow(),
            **values,
        )
    ).inserted_primary_key[0]
    tag_post(conn, post_id, themes, values["title"], values["text"])
    assign_story(conn, post_id, title=values["title"], text=values["text"], content_hash=digest,
                 published_at=values["published_at"])
    return "new", post_id


def post_exists(conn: Connection, source_id: int, external_id: str, url: str | None = None) -> bool:
    """Whether save_post would call this a duplicate by id or URL (lets a crawler skip re-fetching it)."""
    conditions = [and_(posts.c.source_id == source_id, posts.c.external_id == external_id[:512])]
    canon = canonical_url(url)
    if canon:
        conditions.append(posts.c.canonical_url == canon)
    return conn.execute(select(posts.c.id).where(or_(*conditions)).limit(1)).first() is not None


def delete_posts(conn: Connection, post_ids: Iterable[int]) -> int:
    ids = list(post_ids)
    if not ids:
        return 0
    return conn.execute(delete(posts).where(posts.c.id.in_(ids))).rowcount

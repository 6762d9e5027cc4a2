"""Storing posts: canonical URLs, content hashes and the de-duplication rule.

`save_post` is the one place a post is inserted (crawls, the import API and the demo reach it through
`core.ingest.policy.ingest_post`). Other modules change a stored post's own columns in place: the scorer
its language (`scores`), story grouping its story (`core.ingest.stories`), retention deletes it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, and_, insert, or_, select, update

from core.matching import fold
from core.store.schema import posts, utcnow

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

POST_FIELDS = (
    "external_id", "url", "title", "text", "author", "author_id", "author_public", "author_reach",
    "likes", "reposts", "replies", "image_url", "lang", "parent_external_id", "thread_url",
    "published_at", "extra",
)

ENGAGEMENT = ("likes", "reposts", "replies", "author_reach")

def save_post(conn: Connection, source, item: dict[str, Any]) -> tuple[str, int]:
    """Store one post for `source` (a sources row); returns ('new' | 'duplicate', post id).

    A post is a duplicate when its source already has its external id, its content (on forums and
    social media: the same content by the same author) or its canonical URL. A duplicate's engagement
    counts are refreshed: they only grow. The same text or the same canonical URL from another source
    (syndication, a second feed carrying the article) is a new post: its own source, author and
    engagement, amplification of one story (core.ingest.stories groups them, by URL too).
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
        conditions.append(and_(posts.c.source_id == source.id, posts.c.canonical_url == canon))
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
    return "new", post_id

def post_exists(conn: Connection, source_id: int, external_id: str, url: str | None = None) -> bool:
    """Whether save_post would call this a duplicate by id or URL (lets a crawler skip re-fetching it)."""
    conditions = [and_(posts.c.source_id == source_id, posts.c.external_id == external_id[:512])]
    canon = canonical_url(url)
    if canon:
        conditions.append(and_(posts.c.source_id == source_id, posts.c.canonical_url == canon))
    return conn.execute(select(posts.c.id).where(or_(*conditions)).limit(1)).first() is not None

"""Storing posts: canonical URLs, content hashes and the de-duplication rule.

`save_posts` is the one place posts are inserted, a batch at a time (crawls, the import API and the
demo reach it through `core.ingest.policy.ingest_posts`; `save_post` is a batch of one). Other modules
change a stored post's own columns in place: the scorer its language (`scores`), story grouping its
story (`core.ingest.stories`: a regroup; on the ingest path the story is written with the row, see
save_posts), retention deletes it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Callable, NamedTuple, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, and_, or_, select, text

from core.matching import fold
from core.store.batch import any_of, chunks, insert_rows, is_postgres, update_rows
from core.store.schema import post_themes, posts, utcnow
from core.store.stories import set_post_stories

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

# Rows per multi-row statement: well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 500


def check_post(item: dict[str, Any]) -> None:
    """Refuse an item the store cannot keep (ValueError), before it joins a batch."""
    if not item.get("external_id"):
        raise ValueError("post without external_id")
    if not isinstance(item.get("published_at"), datetime) or item["published_at"].tzinfo is None:
        raise ValueError("post without an aware published_at")


def save_post(conn: Connection, source, item: dict[str, Any]) -> tuple[str, int]:
    """Store one post for `source` (a sources row); returns ('new' | 'duplicate', post id). See save_posts."""
    saved = save_posts(conn, [(source, item)])[0]
    return saved.status, saved.id


class Saved(NamedTuple):
    status: str  # 'new' | 'duplicate'
    id: int
    content_hash: str
    canonical_url: str | None


# Puts new posts in their stories (core.ingest.stories): given the new posts as (Saved, item) pairs, in
# batch order, it returns {post id: story id}.
Place = Callable[[list[tuple[Saved, dict[str, Any]]]], dict[int, int]]


class _Raced(Exception):
    """Another worker stored some of the batch's new posts between the SELECT and the INSERT."""


def save_posts(conn: Connection, batch: Sequence[tuple[Any, dict[str, Any]]], place: Place | None = None) -> list[Saved]:
    """Store (source row, item) pairs; returns for each, in order, ('new' | 'duplicate', post id, the
    item's content hash, its canonical URL).

    A post is a duplicate when its source already has its external id, its content (on forums and
    social media: the same content by the same author) or its canonical URL, in the store or earlier
    in the batch. A duplicate's engagement counts are refreshed: they only grow. The same text or the
    same canonical URL from another source (syndication, a second feed carrying the article) is a new
    post: its own source, author and engagement, amplification of one story (core.ingest.stories
    groups them, by URL too).

    Set-based, so a batch costs a handful of statements: one SELECT finds what the store already holds,
    one multi-row INSERT stores the rest. The insert skips an external id another worker stored in the
    meantime (ON CONFLICT DO NOTHING on the unique (source, external id)): that post is a duplicate.

    `place` puts the new posts in their stories (posts.story_id). On PostgreSQL their ids are drawn
    from the posts' sequence before the INSERT, so `place` runs first and each row is written once, with
    its story; should another worker store one of them meanwhile, the batch is rolled back to a
    savepoint and stored the other way. SQLite hands out ids as it inserts (and has one writer at a
    time): there `place` runs after the INSERT and an UPDATE sets the story.
    """
    for _, item in batch:
        check_post(item)
    if place is None or not is_postgres(conn):
        return _save(conn, batch, place, before=False)
    try:
        with conn.begin_nested():
            return _save(conn, batch, place, before=True)
    except _Raced:  # stored again the other way, where a post another worker stored is a duplicate
        return _save(conn, batch, place, before=False)


def _save(conn: Connection, batch: Sequence[tuple[Any, dict[str, Any]]], place: Place | None,
          before: bool) -> list[Saved]:
    """save_posts; `place` runs `before` the INSERT (on ids drawn from the sequence) or after it."""
    prepared = [_Prepared(source, item) for source, item in batch]
    known = _Known()
    for row in _existing(conn, prepared):
        known.add(row.source_id, row.external_id, row.content_hash, row.author_id, row.canonical_url,
                  (row.id,), {k: getattr(row, k) for k in ENGAGEMENT})
    results: list[tuple[str, int]] = []
    pending: list[_Prepared] = []  # new posts, in batch order
    refreshed: dict[int, dict[str, Any]] = {}  # stored id -> changed engagement
    for p in prepared:
        found = known.find(p)
        if found is None:
            p.values = p.row()
            known.add(p.source.id, p.external_id, p.digest, p.item.get("author_id"), p.canon, (-1, len(pending)),
                      p.values)
            results.append(("new", len(pending)))
            pending.append(p)
            continue
        match, current = found
        refresh = {k: p.item[k] for k in ENGAGEMENT if p.item.get(k) is not None and p.item[k] != current.get(k)}
        current.update(refresh)
        if match[0] == -1:  # an earlier post of this batch: not stored yet, its row takes the new counts
            results.append(("duplicate", -1 - match[1]))
        else:
            results.append(("duplicate", match[0]))
            if refresh:
                refreshed.setdefault(match[0], {}).update(refresh)
    if place is not None and before and pending:
        for p, post_id in zip(pending, _next_ids(conn, len(pending))):
            p.values["id"] = post_id
        story_of = place([(Saved("new", p.values["id"], p.digest, p.canon), p.item) for p in pending])
        for p in pending:
            p.values["story_id"] = story_of[p.values["id"]]
    ids = _insert(conn, pending)
    raced = [p for p in pending if (p.source.id, p.external_id) not in ids]
    if raced and place is not None and before:
        raise _Raced  # their stories were counted already: save_posts stores the batch again
    if raced:  # stored by another worker since the SELECT: a duplicate of that post, counts refreshed
        ids.update(_ids_of(conn, raced))
        for p in raced:
            refresh = {k: p.values[k] for k in ENGAGEMENT if p.values.get(k) is not None}
            if refresh:
                refreshed.setdefault(ids[(p.source.id, p.external_id)], {}).update(refresh)
    _refresh(conn, refreshed)
    raced_keys = {(p.source.id, p.external_id) for p in raced}
    out = []
    for p, (status, ref) in zip(prepared, results):
        if status == "new":
            key = (p.source.id, p.external_id)
            status, ref = ("duplicate" if key in raced_keys else "new"), ids[key]
        elif ref < 0:
            first = pending[-1 - ref]
            ref = ids[(first.source.id, first.external_id)]
        out.append(Saved(status, ref, p.digest, p.canon))
    if place is not None and not before:
        new = [(saved, p.item) for saved, p in zip(out, prepared) if saved.status == "new"]
        if new:
            set_post_stories(conn, place(new))
    return out


class _Prepared:
    """One item with what de-duplication compares: its external id, canonical URL and content hash."""

    __slots__ = ("source", "item", "external_id", "canon", "digest", "values")

    def __init__(self, source, item: dict[str, Any]):
        self.source, self.item = source, item
        self.external_id = item["external_id"][:512]
        self.canon = canonical_url(item.get("url"))
        self.digest = content_hash(item.get("title"), item.get("text"))
        self.values: dict[str, Any] = {}

    def row(self) -> dict[str, Any]:
        values = {k: self.item.get(k) for k in POST_FIELDS}
        values["external_id"] = self.external_id
        values["text"] = values["text"] or ""
        values["author_public"] = bool(values["author_public"])
        values["extra"] = values["extra"] or {}
        values.update(source_id=self.source.id, channel=self.source.channel, canonical_url=self.canon,
                      content_hash=self.digest)
        return values


class _Known:
    """The posts a batch is compared with (stored ones and the batch's earlier new ones), by each key
    save_posts de-duplicates on; a reference is (stored id,) or (-1, index among the batch's new posts)."""

    def __init__(self):
        self.by_id: dict[tuple, tuple] = {}
        self.by_url: dict[tuple, tuple] = {}
        self.by_hash: dict[tuple, list[tuple]] = {}
        self.counts: dict[tuple, dict[str, Any]] = {}

    def add(self, source_id, external_id, digest, author_id, canon, ref: tuple, counts: dict[str, Any]) -> None:
        # Stored posts come first and, among them, the oldest wins: a batch never shadows the store.
        self.by_id.setdefault((source_id, external_id), ref)
        if canon:
            self.by_url.setdefault((source_id, canon), ref)
        self.by_hash.setdefault((source_id, digest), []).append((author_id, ref))
        self.counts[ref] = counts

    def find(self, p: _Prepared) -> tuple[tuple, dict[str, Any]] | None:
        source = p.source
        refs = [self.by_id.get((source.id, p.external_id))]
        if p.canon:
            refs.append(self.by_url.get((source.id, p.canon)))
        # On forums and social media two people may write the same short reply ("Dank je!"):
        # the same text is only a repeat when the same author posts it again.
        author = p.item.get("author_id")
        refs += [ref for who, ref in self.by_hash.get((source.id, p.digest), ())
                 if source.channel == "news" or who == author]
        found = [ref for ref in refs if ref is not None]
        if not found:
            return None
        stored = [ref for ref in found if ref[0] != -1]
        ref = min(stored) if stored else min(found)
        return ref, self.counts[ref]


def _existing(conn: Connection, prepared: list[_Prepared]):
    """The stored posts of the batch's sources that share an external id, content hash or canonical URL."""
    for chunk in chunks(conn, prepared, _CHUNK):
        keys = [any_of(conn, posts.c.external_id, {p.external_id for p in chunk}),
                any_of(conn, posts.c.content_hash, {p.digest for p in chunk})]
        urls = {p.canon for p in chunk if p.canon}
        if urls:
            keys.append(any_of(conn, posts.c.canonical_url, urls))
        yield from conn.execute(
            select(posts.c.id, posts.c.source_id, posts.c.external_id, posts.c.content_hash, posts.c.author_id,
                   posts.c.canonical_url, *(posts.c[k] for k in ENGAGEMENT))
            .where(any_of(conn, posts.c.source_id, {p.source.id for p in chunk}), or_(*keys))
            .order_by(posts.c.id)
        )


def _insert(conn: Connection, pending: list[_Prepared]) -> dict[tuple[int, str], int]:
    """Insert the new posts; returns {(source id, external id): post id} for those actually inserted."""
    now = utcnow()
    rows = insert_rows(conn, posts, [{**p.values, "fetched_at": now} for p in pending],
                       conflict=("source_id", "external_id"), returning=("id", "source_id", "external_id"))
    return {(row.source_id, row.external_id): row.id for row in rows}


def _next_ids(conn: Connection, count: int) -> list[int]:
    """`count` post ids from the posts' sequence (PostgreSQL), ascending, as the INSERT would draw them."""
    return sorted(conn.execute(text("SELECT nextval(seq) FROM CAST(pg_get_serial_sequence('posts', 'id') AS regclass) "
                                    "AS seq, generate_series(1, :n)"), {"n": count}).scalars())


def _ids_of(conn: Connection, prepared: list[_Prepared]) -> dict[tuple[int, str], int]:
    rows = conn.execute(select(posts.c.id, posts.c.source_id, posts.c.external_id).where(
        or_(*(and_(posts.c.source_id == p.source.id, posts.c.external_id == p.external_id) for p in prepared))))
    return {(row.source_id, row.external_id): row.id for row in rows}


def _refresh(conn: Connection, refreshed: dict[int, dict[str, Any]]) -> None:
    """Write changed engagement counts of stored duplicates, one statement per set of changed columns."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for post_id, values in sorted(refreshed.items()):
        shapes.setdefault(tuple(sorted(values)), []).append({"id": post_id, **values})
    for rows in shapes.values():
        update_rows(conn, posts, "id", rows)


def post_exists(conn: Connection, source_id: int, external_id: str, url: str | None = None) -> bool:
    """Whether save_post would call this a duplicate by id or URL (lets a crawler skip re-fetching it)."""
    conditions = [and_(posts.c.source_id == source_id, posts.c.external_id == external_id[:512])]
    canon = canonical_url(url)
    if canon:
        conditions.append(and_(posts.c.source_id == source_id, posts.c.canonical_url == canon))
    return conn.execute(select(posts.c.id).where(or_(*conditions)).limit(1)).first() is not None


def add_post_themes(conn: Connection, tags: list[dict[str, Any]]) -> None:
    """Theme tags ({"post_id", "theme"}) of newly stored posts (core.ingest tags them), in one statement."""
    insert_rows(conn, post_themes, tags)

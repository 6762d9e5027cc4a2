"""Stories: posts that carry the same story (syndicated news, reposts, near-identical text) grouped.

Each post gets fingerprints (core.store.stories): its content hash, its canonical URL, its normalised
title, the start of its normalised text, and the LSH bands of a MinHash of its word pairs. A new post
joins the story that already holds one of its exact fingerprints, when that story was seen within
STORY_SPAN. Failing that, the stories that share one of its bands are candidates, and it joins the one
whose text it overlaps most, when that overlap (containment of word pairs: the share of the shorter
text's pairs found in the other) reaches NEAR_DUPLICATE: a lightly rewritten lead, or a repost with a
comment line above it. Otherwise it starts a story. Precision and recall on labelled pairs of real
Dutch feed items: benchmarks/stories_eval.py.

A post from another source with the same canonical URL is amplification: it is stored as a post of its
own (its source, author and engagement count) in the story of the first. The story remembers its first
post (earliest published), so the first source is known, and counts its posts: the amplification.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from core.store.schema import posts, stories, story_keys
from core.store.stories import fingerprints, shingles, story_title

# Syndicated copies appear within hours; a reused generic headline weeks later is another story.
STORY_SPAN = timedelta(days=3)
# Share of the shorter text's word pairs the other must hold. On the labelled pairs 0.6 merged two
# announcements in one company's feed template, 0.7 nothing wrong (benchmarks/stories_eval.py).
NEAR_DUPLICATE = 0.7
# Posts of candidate stories read to compare texts with: the newest, enough for any real story.
COMPARE_POSTS = 50


def containment(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / the smaller of |a| and |b|: 1.0 when one text is the other with something added."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def assign_story(conn: Connection, post_id: int, *, title: str | None, text: str | None, content_hash: str,
                 published_at: datetime, canonical_url: str | None = None) -> int:
    """Put the post in its story (an existing one or a new one); returns the story id."""
    keys = fingerprints(title, text, content_hash, canonical_url)
    exact = [key for key in keys if not key.startswith("m")]
    bands = [key for key in keys if key.startswith("m")]
    in_span = (stories.c.last_seen >= published_at - STORY_SPAN, stories.c.first_seen <= published_at + STORY_SPAN)
    found = conn.execute(
        select(stories.c.id, stories.c.first_seen, stories.c.last_seen)
        .join(story_keys, story_keys.c.story_id == stories.c.id)
        .where(story_keys.c.key.in_(exact), *in_span)
        .order_by(stories.c.id)
        .limit(1)
    ).first()
    if found is None and bands:
        found = _near_duplicate(conn, bands, shingles(title, text), in_span)
    if found is None:
        story_id = conn.execute(
            insert(stories).values(
                first_post_id=post_id, title=story_title(title, text), posts=1,
                first_seen=published_at, last_seen=published_at,
            )
        ).inserted_primary_key[0]
    else:
        story_id = found.id
        values = {"posts": stories.c.posts + 1, "last_seen": max(found.last_seen, published_at)}
        if published_at < found.first_seen:
            values.update(first_post_id=post_id, first_seen=published_at)
        conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
    # The newest story holding a fingerprint owns it, so an expired story's keys move on. An upsert,
    # not delete-then-insert: two workers storing look-alike posts at once must not collide on a key.
    _own_keys(conn, keys, story_id)
    conn.execute(update(posts).where(posts.c.id == post_id).values(story_id=story_id))
    return story_id


def _own_keys(conn: Connection, keys: list[str], story_id: int) -> None:
    if not keys:
        return
    rows = [{"key": key, "story_id": story_id} for key in dict.fromkeys(keys)]
    statement: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(story_keys).values(rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(story_keys).values(rows)
    conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"story_id": statement.excluded.story_id}))


def _near_duplicate(conn: Connection, bands: list[str], pairs: set[str], in_span):
    """The candidate story (sharing an LSH band, within the span) whose posts overlap the text most,
    when that overlap reaches NEAR_DUPLICATE; else None."""
    candidates = (
        select(stories.c.id)
        .join(story_keys, story_keys.c.story_id == stories.c.id)
        .where(story_keys.c.key.in_(bands), *in_span)
        .distinct()
        .scalar_subquery()
    )
    best, best_score = None, NEAR_DUPLICATE
    rows = conn.execute(
        select(posts.c.story_id, posts.c.title, posts.c.text)
        .where(posts.c.story_id.in_(candidates))
        .order_by(posts.c.id.desc())
        .limit(COMPARE_POSTS)
    )
    for row in rows:
        score = containment(pairs, shingles(row.title, row.text))
        if score >= best_score:
            best, best_score = row.story_id, score
    if best is None:
        return None
    return conn.execute(select(stories.c.id, stories.c.first_seen, stories.c.last_seen).where(stories.c.id == best)).first()


def regroup(conn: Connection, *, batch: int = 2000) -> int:
    """Group every post again from scratch, oldest first; returns the number of stories."""
    conn.execute(update(posts).values(story_id=None))
    conn.execute(delete(story_keys))
    conn.execute(delete(stories))
    last = None
    while True:
        query = select(posts.c.id, posts.c.title, posts.c.text, posts.c.content_hash, posts.c.canonical_url,
                       posts.c.published_at)
        if last is not None:
            query = query.where(
                (posts.c.published_at > last[0]) | and_(posts.c.published_at == last[0], posts.c.id > last[1])
            )
        rows = conn.execute(query.order_by(posts.c.published_at, posts.c.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            assign_story(conn, row.id, title=row.title, text=row.text, content_hash=row.content_hash,
                         published_at=row.published_at, canonical_url=row.canonical_url)
        last = (rows[-1].published_at, rows[-1].id)
    return conn.execute(select(func.count()).select_from(stories)).scalar_one()

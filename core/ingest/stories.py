"""Stories: posts that carry the same story (syndicated news, reposts, near-identical text) grouped.

Each post gets fingerprints: its content hash, its normalised title and the start of its normalised
text. A new post joins the story that already holds one of its fingerprints, when that story was seen
within STORY_SPAN; otherwise it starts a story. The story remembers its first post (earliest
published), so the first source is known, and counts its posts: the amplification.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from core.matching import fold
from core.store.schema import posts, stories, story_keys

# Syndicated copies appear within hours; a reused generic headline weeks later is another story.
STORY_SPAN = timedelta(days=3)

MIN_TITLE_WORDS = 4

MIN_TEXT_WORDS = 12

TEXT_WORDS = 30

_URL = re.compile(r"https?://\S+|www\.\S+")

_HANDLE = re.compile(r"(?<!\w)@[\w.]+")

_NON_WORD = re.compile(r"[^0-9a-z]+")

# "Brand in de binnenstad - Dagblad van het Noorden": the outlet's suffix differs per syndicating site.
_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")

def _words(text: str) -> list[str]:
    text = _HANDLE.sub(" ", _URL.sub(" ", text or ""))
    words = _NON_WORD.sub(" ", fold(text)).split()
    if words[:1] == ["rt"]:  # "RT @iemand: ..." is a repost of the rest
        words = words[1:]
    return words

def _digest(prefix: str, words: list[str]) -> str:
    return prefix + hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:40]

def fingerprints(title: str | None, text: str | None, content_hash: str) -> list[str]:
    keys = ["c:" + content_hash]
    if title:
        stripped = _TITLE_SUFFIX.sub("", title.strip())
        words = _words(stripped)
        if len(words) < MIN_TITLE_WORDS:
            words = _words(title)
        if len(words) >= MIN_TITLE_WORDS:
            keys.append(_digest("t:", words))
    words = _words(text or "")
    if len(words) >= MIN_TEXT_WORDS:
        keys.append(_digest("x:", words[:TEXT_WORDS]))
    return keys

def assign_story(conn: Connection, post_id: int, *, title: str | None, text: str | None, content_hash: str,
                 published_at: datetime) -> int:
    """Put the post in its story (an existing one or a new one); returns the story id."""
    keys = fingerprints(title, text, content_hash)
    found = conn.execute(
        select(stories.c.id, stories.c.first_seen, stories.c.last_seen)
        .join(story_keys, story_keys.c.story_id == stories.c.id)
        .where(
            story_keys.c.key.in_(keys),
            stories.c.last_seen >= published_at - STORY_SPAN,
            stories.c.first_seen <= published_at + STORY_SPAN,
        )
        .order_by(stories.c.id)
        .limit(1)
    ).first()
    if found is None:
        story_id = conn.execute(
            insert(stories).values(
                first_post_id=post_id, title=_story_title(title, text), posts=1,
                first_seen=published_at, last_seen=published_at,
            )
        ).inserted_primary_key[0]
    else:
        story_id = found.id
        values = {"posts": stories.c.posts + 1, "last_seen": max(found.last_seen, published_at)}
        if published_at < found.first_seen:
            values.update(first_post_id=post_id, first_seen=published_at)
        conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
    # The newest story holding a fingerprint owns it, so an expired story's keys move on.
    conn.execute(delete(story_keys).where(story_keys.c.key.in_(keys)))
    conn.execute(insert(story_keys), [{"key": key, "story_id": story_id} for key in keys])
    conn.execute(update(posts).where(posts.c.id == post_id).values(story_id=story_id))
    return story_id

def _story_title(title: str | None, text: str | None) -> str:
    if title and title.strip():
        return title.strip()[:300]
    text = " ".join((text or "").split())
    return text[:117] + "…" if len(text) > 120 else text

def regroup(conn: Connection, *, batch: int = 2000) -> int:
    """Group every post again from scratch, oldest first; returns the number of stories."""
    conn.execute(update(posts).values(story_id=None))
    conn.execute(delete(story_keys))
    conn.execute(delete(stories))
    last = None
    while True:
        query = select(posts.c.id, posts.c.title, posts.c.text, posts.c.content_hash, posts.c.published_at)
        if last is not None:
            query = query.where(
                (posts.c.published_at > last[0]) | and_(posts.c.published_at == last[0], posts.c.id > last[1])
            )
        rows = conn.execute(query.order_by(posts.c.published_at, posts.c.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            assign_story(conn, row.id, title=row.title, text=row.text, content_hash=row.content_hash,
                         published_at=row.published_at)
        last = (rows[-1].published_at, rows[-1].id)
    return conn.execute(select(func.count()).select_from(stories)).scalar_one()

"""Records about one person, for data-subject requests (AVG art. 15 and 17): the posts by them, the
posts that mention them, their stories and the newsletters that quote them; and their removal.

Which names and pseudonyms stand for the person is core.ingest.subjects' concern; this module only
looks them up and deletes or redacts what it finds.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Row, func, or_, select, update

from core.store.retention import archive_and_delete
from core.store.schema import newsletters, posts, sources, stories
from core.store.stories import rewrite_stories, stories_of

# What stays of a newsletter that quoted someone who asked to be erased (its week and send record stay,
# so it is never sent again).
ERASED_NEWSLETTER = ("Deze nieuwsbrief is verwijderd: hij haalde berichten aan van iemand die heeft "
                     "gevraagd om verwijdering van zijn of haar gegevens.")
ERASED_MENTION = "@…"


def _post_query():
    return (select(posts.c.id, posts.c.channel, posts.c.title, posts.c.text, posts.c.author, posts.c.author_id,
                   posts.c.author_public, posts.c.url, posts.c.published_at, posts.c.story_id,
                   sources.c.name.label("source"))
            .join(sources, sources.c.id == posts.c.source_id))


def posts_by(conn: Connection, keys: Iterable[str]) -> Sequence[Row]:
    """Posts whose author or author id is one of `keys` (case-insensitive), oldest first."""
    keys = sorted({k.lower() for k in keys if k})
    if not keys:
        return []
    return conn.execute(
        _post_query().where(or_(func.lower(posts.c.author).in_(keys), func.lower(posts.c.author_id).in_(keys)))
        .order_by(posts.c.published_at, posts.c.id)
    ).all()


def _mention_pattern(mentions: Iterable[str]) -> re.Pattern | None:
    tokens = sorted({m.lower().lstrip("@") for m in mentions if m}, key=len, reverse=True)
    if not tokens:
        return None
    return re.compile(r"(?<![\w@/])@(?:" + "|".join(re.escape(t) for t in tokens) + r")(?![\w@.\-])", re.IGNORECASE)


def posts_mentioning(conn: Connection, mentions: Iterable[str], *, exclude: Iterable[int] = ()) -> list[Row]:
    """Posts whose title or text @mentions one of `mentions` (pseudonyms, or public handles)."""
    mentions = [m.lstrip("@") for m in mentions if m]
    pattern = _mention_pattern(mentions)
    if pattern is None:
        return []
    like = [func.lower(column).contains("@" + m.lower(), autoescape=True)
            for m in mentions for column in (posts.c.text, posts.c.title)]
    skip = set(exclude)
    return [row for row in conn.execute(_post_query().where(or_(*like)).order_by(posts.c.published_at, posts.c.id))
            if row.id not in skip and pattern.search(f"{row.title or ''}\n{row.text or ''}")]


def stories_with(conn: Connection, post_ids: Iterable[int]) -> Sequence[Row]:
    ids = sorted(set(post_ids))
    if not ids:
        return []
    return conn.execute(
        select(stories.c.id, stories.c.title, stories.c.posts)
        .where(stories.c.id.in_(select(posts.c.story_id).where(posts.c.id.in_(ids)))).order_by(stories.c.id)
    ).all()


def newsletters_quoting(conn: Connection, needles: Iterable[str]) -> list[str]:
    """Weeks of stored newsletters whose text holds any of `needles` (names, pseudonyms, quoted words)."""
    needles = [n for n in needles if n and len(n) >= 6]
    if not needles:
        return []
    rows = conn.execute(select(newsletters.c.week, newsletters.c.text).order_by(newsletters.c.week)).all()
    return [row.week for row in rows if any(n.lower() in (row.text or "").lower() for n in needles)]


def erase_posts(conn: Connection, ids: Iterable[int]) -> int:
    """Delete posts as retention does: anonymous hourly counts stay, stories and alerts follow."""
    ids = set(ids)
    if ids:
        archive_and_delete(conn, ids)
    return len(ids)


def redact_mentions(conn: Connection, ids: Iterable[int], mentions: Iterable[str]) -> int:
    """Replace the @mentions of `mentions` in the posts `ids` with "@…", and rewrite their stories (whose
    title may quote them); returns the posts changed."""
    pattern = _mention_pattern(mentions)
    changed = 0
    ids = set(ids)
    for row in conn.execute(select(posts.c.id, posts.c.title, posts.c.text).where(posts.c.id.in_(set(ids)))).all():
        title = pattern.sub(ERASED_MENTION, row.title) if pattern and row.title else row.title
        text = pattern.sub(ERASED_MENTION, row.text or "") if pattern else row.text
        if (title, text) != (row.title, row.text):
            conn.execute(update(posts).where(posts.c.id == row.id).values(title=title, text=text))
            changed += 1
    rewrite_stories(conn, stories_of(conn, ids))
    return changed


def redact_newsletters(conn: Connection, weeks: Iterable[str]) -> int:
    """Remove the content of the newsletters of `weeks`; their week and send record stay."""
    weeks = sorted(set(weeks))
    if not weeks:
        return 0
    return conn.execute(
        update(newsletters).where(newsletters.c.week.in_(weeks))
        .values(html=ERASED_NEWSLETTER, text=ERASED_NEWSLETTER, expires_at=None)
    ).rowcount

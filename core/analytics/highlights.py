"""The posts a report quotes and the alerts it recounts, for one period: the most engaging posts with an
image, the posts the model is surest of, the latest posts, and the alerts opened.

Images come only from news and public-role authors. Rows carry the post, its source, its score and its engagement (likes + reposts + replies), for the
newsletter (and any later report) to shape as it shows them.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, Select, func, or_, select

from core.store.schema import alerts, posts, scores, sources

engagement = func.coalesce(posts.c.likes, 0) + func.coalesce(posts.c.reposts, 0) + func.coalesce(posts.c.replies, 0)


def _post_query() -> Select:
    return (
        select(
            posts.c.id, posts.c.url, posts.c.thread_url, posts.c.title, posts.c.text, posts.c.author,
            posts.c.author_id, posts.c.author_public, posts.c.channel, posts.c.image_url, posts.c.published_at,
            posts.c.likes, posts.c.reposts, posts.c.replies, engagement.label("engagement"),
            sources.c.name.label("source"), scores.c.label, scores.c.negative, scores.c.positive,
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
    )


def _in(since: datetime, until: datetime):
    return (posts.c.published_at >= since, posts.c.published_at < until)


def alerts_opened(conn: Connection, since: datetime, until: datetime) -> Sequence[Row]:
    """The alerts opened in [since, until), oldest first."""
    return conn.execute(
        select(alerts).where(alerts.c.opened_at >= since, alerts.c.opened_at < until).order_by(alerts.c.opened_at)
    ).all()


def most_engaging(conn: Connection, ids: list[int], limit: int) -> Sequence[Row]:
    """Of the posts `ids`, the most engaging (newest first on a tie)."""
    if not ids:
        return []
    return conn.execute(
        _post_query().where(posts.c.id.in_(ids)).order_by(engagement.desc(), posts.c.published_at.desc())
        .limit(limit)
    ).all()


def with_images(conn: Connection, since: datetime, until: datetime, limit: int) -> Sequence[Row]:
    """Posts with an image, the most engaging first: only news and public-role authors' posts, since a
    private person's photo may show them, their home or their family."""
    return conn.execute(
        _post_query()
        .where(*_in(since, until), posts.c.image_url.is_not(None), posts.c.image_url != "",
               or_(posts.c.channel == "news", posts.c.author_public.is_(True)))
        .order_by(engagement.desc(), posts.c.published_at.desc(), posts.c.id)
        .limit(limit)
    ).all()


def surest(conn: Connection, since: datetime, until: datetime, label: str, limit: int,
           min_chars: int) -> Sequence[Row]:
    """The posts the model is surest are `label`; posts of at least `min_chars` first, so a quote says something."""
    probability = scores.c[label]
    return conn.execute(
        _post_query()
        .where(*_in(since, until), scores.c.label == label)
        .order_by((func.length(posts.c.text) >= min_chars).desc(), probability.desc(), engagement.desc(), posts.c.id)
        .limit(limit)
    ).all()


def latest(conn: Connection, since: datetime, until: datetime, limit: int) -> Sequence[Row]:
    return conn.execute(
        _post_query().where(*_in(since, until)).order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(limit)
    ).all()

"""Reading posts: filtered lists with cursor paging, and one post with its scores and themes."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from .filters import PostFilter
from .schema import post_themes, posts, scores, sources

MAX_LIMIT = 500


class BadCursor(ValueError):
    pass


def encode_cursor(published_at: datetime, post_id: int) -> str:
    raw = json.dumps([published_at.isoformat(), post_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, post_id = json.loads(raw)
        return datetime.fromisoformat(stamp), int(post_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise BadCursor(f"invalid cursor {cursor!r}") from exc


def _post_query():
    return (
        select(
            posts,
            sources.c.name.label("source"),
            scores.c.label,
            scores.c.negative,
            scores.c.neutral,
            scores.c.positive,
            scores.c.model,
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
    )


def _themes_of(conn: Connection, post_ids: list[int]) -> dict[int, list[str]]:
    themes: dict[int, list[str]] = {pid: [] for pid in post_ids}
    if post_ids:
        rows = conn.execute(
            select(post_themes.c.post_id, post_themes.c.theme)
            .where(post_themes.c.post_id.in_(post_ids))
            .order_by(post_themes.c.theme)
        )
        for post_id, theme in rows:
            themes[post_id].append(theme)
    return themes


def post_dict(row, themes: list[str]) -> dict[str, Any]:
    """The public shape of a post (DESIGN.md: GET /api/posts)."""
    probabilities = None
    if row.label is not None:
        probabilities = {"negative": row.negative, "neutral": row.neutral, "positive": row.positive}
    return {
        "id": row.id,
        "source": row.source,
        "channel": row.channel,
        "url": row.url,
        "title": row.title,
        "text": row.text,
        "author": row.author,
        "author_public": row.author_public,
        "published_at": row.published_at.isoformat(),
        "fetched_at": row.fetched_at.isoformat(),
        "lang": row.lang,
        "label": row.label,
        "probabilities": probabilities,
        "model": row.model,
        "themes": themes,
        "image_url": row.image_url,
        "engagement": {"likes": row.likes, "reposts": row.reposts, "replies": row.replies},
        "author_reach": row.author_reach,
        "story_id": row.story_id,
        "parent_external_id": row.parent_external_id,
    }


def list_posts(conn: Connection, filters: PostFilter, *, limit: int = 50, cursor: str | None = None) -> dict:
    """Newest first; `next` is an opaque cursor for the following page, or None on the last page."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = _post_query().where(*filters.conditions())
    if cursor:
        stamp, post_id = decode_cursor(cursor)
        query = query.where(
            or_(posts.c.published_at < stamp, and_(posts.c.published_at == stamp, posts.c.id < post_id))
        )
    rows = conn.execute(query.order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    themes = _themes_of(conn, [r.id for r in page])
    items = [post_dict(r, themes[r.id]) for r in page]
    next_cursor = encode_cursor(page[-1].published_at, page[-1].id) if len(rows) > limit else None
    return {"items": items, "next": next_cursor}


def get_post(conn: Connection, post_id: int) -> dict | None:
    row = conn.execute(_post_query().where(posts.c.id == post_id)).first()
    if row is None:
        return None
    return post_dict(row, _themes_of(conn, [row.id])[row.id])

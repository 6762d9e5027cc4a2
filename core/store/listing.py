"""Reading posts: filtered lists with sorting and cursor paging, exports, and one post in full.

Paging is keyset paging: the cursor holds the sort key of the last post on the page, so page N costs
the same as page 1 and new posts arriving between requests never shift or repeat a page.
"""
from __future__ import annotations

import base64
import json
import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy.sql.selectable import Subquery

from core.post import Post, PostBrief
from core.store.filters import PostFilter
from core.store.schema import (
    label_corrections,
    post_themes,
    posts,
    scores,
    sources,
    stories,
)
from core.store.search import relevance

MAX_LIMIT = 500
SORTS = ("newest", "oldest", "relevance", "engagement")
STORY_POSTS = 20
THREAD_REPLIES = 50


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class _Key:
    """One part of a sort key: the SQL expression, how its value is read from a row and from JSON."""

    name: str
    expression: ColumnElement
    decode: Callable[[Any], Any]


def _engagement() -> ColumnElement:
    return func.coalesce(posts.c.likes, 0) + func.coalesce(posts.c.reposts, 0) + func.coalesce(posts.c.replies, 0)


def _sort_keys(sort: str, q: str | None, dialect: str) -> tuple[list[_Key], bool, Subquery | None]:
    """(keys, descending, a subquery to join) of a sort order; every order ends in (published_at, id)
    so keys are unique."""
    time_and_id = [
        _Key("published_at", posts.c.published_at, datetime.fromisoformat),
        _Key("id", posts.c.id, int),
    ]
    if sort == "oldest":
        return time_and_id, False, None
    if sort == "engagement":
        return [_Key("engagement", _engagement(), int), *time_and_id], True, None
    if sort == "relevance" and q:
        join, score = relevance(q, dialect)
        return [_Key("relevance", score, float), *time_and_id], True, join
    return time_and_id, True, None  # newest, and relevance without a query


def encode_cursor(sort: str, values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"sort": sort, "after": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, keys: list[_Key]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = raw["after"]
        if raw["sort"] != sort or len(after) != len(keys):
            raise ValueError("cursor of another sort order")
        values = [key.decode(value) for key, value in zip(keys, after)]
    except (ValueError, TypeError, KeyError, AttributeError, json.JSONDecodeError) as exc:
        raise BadCursor(f"invalid cursor {cursor!r} for sort {sort!r}") from exc
    for value in values:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise BadCursor(f"invalid cursor {cursor!r}")
    return values


def _after(keys: list[_Key], values: list[Any], descending: bool) -> ColumnElement:
    """Rows after (values) in this order: (k1 < v1) or (k1 = v1 and k2 < v2) or ..."""
    beyond = operator.lt if descending else operator.gt
    return or_(*(
        and_(*(keys[j].expression == values[j] for j in range(i)), beyond(keys[i].expression, values[i]))
        for i in range(len(keys))
    ))


# What post_dict and the thread need; not the crawl's raw `extra` JSON, hashes or canonical URL.
_POST_COLUMNS = tuple(posts.c[name] for name in (
    "id", "source_id", "channel", "external_id", "url", "title", "text", "author", "author_public",
    "author_reach", "likes", "reposts", "replies", "image_url", "lang", "parent_external_id", "thread_url",
    "story_id", "published_at", "fetched_at",
))


def _post_query():
    return (
        select(
            *_POST_COLUMNS,
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


def post_dict(row, themes: list[str], relevance: float | None = None) -> dict[str, Any]:
    """The public shape of a post (core.post.Post; DESIGN.md: GET /api/posts)."""
    return Post.from_row(row, themes, relevance).as_json()


def list_posts(conn: Connection, filters: PostFilter, *, limit: int = 50, cursor: str | None = None,
               sort: str = "newest") -> dict:
    """One page of posts in `sort` order; `next` is the cursor of the following page, None on the last.

    Sorts: newest, oldest, relevance (to filters.q; newest without a query), engagement (likes +
    reposts + replies). Items of a relevance page carry their "relevance".
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    limit = max(1, min(limit, MAX_LIMIT))
    keys, descending, join = _sort_keys(sort, filters.q, conn.dialect.name)
    query = _post_query().add_columns(*(k.expression.label(f"sort_{i}") for i, k in enumerate(keys)))
    if join is not None:
        query = query.join(join, join.c.post_id == posts.c.id)
    query = query.where(*filters.conditions())
    if cursor:
        query = query.where(_after(keys, decode_cursor(cursor, sort, keys), descending))
    order = [k.expression.desc() if descending else k.expression.asc() for k in keys]
    rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    page = rows[:limit]
    themes = _themes_of(conn, [r.id for r in page])
    by_relevance = keys[0].name == "relevance"
    items = [post_dict(row, themes[row.id], row.sort_0 if by_relevance else None) for row in page]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(sort, [getattr(page[-1], f"sort_{i}") for i in range(len(keys))])
    return {"items": items, "next": next_cursor}


def iter_posts(conn: Connection, filters: PostFilter, *, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """Every post matching the filters, newest first, in lists of `batch`, for exports.

    One query read through a server-side cursor (PostgreSQL) or stepped row by row (SQLite), so a
    million rows never sit in memory at once.
    """
    query = _post_query().where(*filters.conditions()).order_by(posts.c.published_at.desc(), posts.c.id.desc())
    result = conn.execution_options(yield_per=batch).execute(query)
    for rows in result.partitions():
        themes = _themes_of(conn, [r.id for r in rows])
        yield [post_dict(r, themes[r.id]) for r in rows]


def _brief(row) -> dict[str, Any]:
    return PostBrief.from_row(row).as_json()


def post_detail(conn: Connection, post_id: int) -> dict | None:
    """One post with its score in full, the label corrections people made, its story (the other
    posts carrying it) and its thread (the post it replies to and the replies to it)."""
    row = conn.execute(
        _post_query().add_columns(scores.c.model_label, scores.c.model_version, scores.c.flags, scores.c.scored_at,
                                  scores.c.lang.label("score_lang")).where(posts.c.id == post_id)
    ).first()
    if row is None:
        return None
    post = post_dict(row, _themes_of(conn, [row.id])[row.id])
    post["score"] = None if row.label is None else {
        "label": row.label,
        "model_label": row.model_label or row.label,
        "probabilities": post["probabilities"],
        "model": row.model,
        "model_version": row.model_version,
        "lang": row.score_lang,
        "flags": row.flags,
        "scored_at": row.scored_at.isoformat(),
    }
    post["corrections"] = [
        {"label": c.label, "previous_label": c.previous_label, "by": c.by, "note": c.note,
         "created_at": c.created_at.isoformat()}
        for c in conn.execute(
            select(label_corrections).where(label_corrections.c.post_id == post_id)
            .order_by(label_corrections.c.created_at, label_corrections.c.id)
        )
    ]
    post["story"] = _story(conn, row)
    post["thread"] = _thread(conn, row)
    return post


def _story(conn: Connection, row) -> dict | None:
    if row.story_id is None:
        return None
    story = conn.execute(select(stories).where(stories.c.id == row.story_id)).first()
    if story is None:
        return None
    others = conn.execute(
        _post_query().where(posts.c.story_id == row.story_id, posts.c.id != row.id)
        .order_by(posts.c.published_at, posts.c.id).limit(STORY_POSTS)
    ).all()
    return {
        "id": story.id,
        "title": story.title,
        "posts": story.posts,
        "first_post_id": story.first_post_id,
        "first_seen": story.first_seen.isoformat(),
        "last_seen": story.last_seen.isoformat(),
        "others": [_brief(r) for r in others],
    }


def _thread(conn: Connection, row) -> dict:
    parent = None
    if row.parent_external_id:
        found = conn.execute(
            _post_query().where(posts.c.source_id == row.source_id, posts.c.external_id == row.parent_external_id)
        ).first()
        parent = _brief(found) if found else None
    replies = conn.execute(
        _post_query().where(posts.c.source_id == row.source_id, posts.c.parent_external_id == row.external_id)
        .order_by(posts.c.published_at, posts.c.id).limit(THREAD_REPLIES)
    ).all()
    return {
        "url": row.thread_url,
        "parent_external_id": row.parent_external_id,
        "parent": parent,
        "replies": [_brief(r) for r in replies],
    }

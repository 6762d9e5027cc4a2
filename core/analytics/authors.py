"""Opinion makers: authors ranked over a window by reach and engagement, with posts and sentiment.

Organisations and public accounts (posts.author_public) appear by name. Private individuals appear
only as a pseudonym derived from their (already pseudonymised) author_id, never by their name: the
wall and the newsletter are seen by people who have no business knowing who wrote what.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, select

from core.analytics.window import resolve
from core.store.filters import PostFilter
from core.store.schema import posts, scores

SORTS = ("impact", "reach", "engagement", "posts")


def pseudonym(author_key: str) -> str:
    """A stable, short, non-reversible name for a private author: 'inwoner #3fa2c1'."""
    return "inwoner #" + hashlib.sha256(author_key.encode("utf-8")).hexdigest()[:6]


def opinion_makers(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(days=7),
                   now: datetime | None = None, limit: int = 20, sort: str = "impact",
                   include_private: bool = True) -> dict:
    """`{"items": [{"name", "public", "key", "channel", "posts", "reach", "engagement", "impact",
    "negative", "neutral", "positive", "unscored", "net_sentiment"}], "since", "until"}`.

    reach = the largest audience (followers) seen in the window; engagement = likes + reposts + replies
    summed over the author's posts; impact = reach + engagement, the default ranking. `key` (the value
    the `author` filter takes) is given for public authors only.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    current = resolve(filters, window, now)
    author_key = func.coalesce(posts.c.author_id, posts.c.author)
    engagement = func.sum(
        func.coalesce(posts.c.likes, 0) + func.coalesce(posts.c.reposts, 0) + func.coalesce(posts.c.replies, 0)
    )
    reach = func.coalesce(func.max(posts.c.author_reach), 0)
    label = scores.c.label
    where = [*current.conditions(), author_key.is_not(None), author_key != ""]
    if not include_private:
        where.append(posts.c.author_public.is_(True))
    query = (
        select(
            author_key.label("key"),
            posts.c.author_public.label("public"),
            func.max(posts.c.author).label("name"),
            func.max(posts.c.channel).label("channel"),
            func.count().label("posts"),
            reach.label("reach"),
            engagement.label("engagement"),
            *(func.sum(case((label == name, 1), else_=0)).label(name) for name in ("negative", "neutral", "positive")),
            func.sum(case((label.is_(None), 1), else_=0)).label("unscored"),
        )
        .select_from(posts.outerjoin(scores, scores.c.post_id == posts.c.id))
        .where(*where)
        .group_by(author_key, posts.c.author_public)
    )
    order = {
        "impact": (reach + engagement).desc(),
        "reach": reach.desc(),
        "engagement": engagement.desc(),
        "posts": func.count().desc(),
    }[sort]
    rows = conn.execute(query.order_by(order, func.count().desc(), author_key).limit(max(1, min(limit, 200))))
    items = []
    for row in rows:
        engagement_total = int(row.engagement or 0)
        reach_max = int(row.reach or 0)
        items.append({
            "name": row.name if row.public and row.name else (row.key if row.public else pseudonym(row.key)),
            "public": bool(row.public),
            "key": row.key if row.public else None,
            "channel": row.channel,
            "posts": row.posts,
            "reach": reach_max,
            "engagement": engagement_total,
            "impact": reach_max + engagement_total,
            "negative": int(row.negative or 0),
            "neutral": int(row.neutral or 0),
            "positive": int(row.positive or 0),
            "unscored": int(row.unscored or 0),
            "net_sentiment": round(100 * (int(row.positive or 0) - int(row.negative or 0)) / row.posts, 1),
        })
    return {"items": items, "since": current.since.isoformat(), "until": current.until.isoformat()}

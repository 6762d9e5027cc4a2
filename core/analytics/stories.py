"""Story figures over a window: how many stories, and the most carried ones with their first source."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, select

from core.analytics.window import resolve
from core.store.filters import PostFilter
from core.store.schema import posts, sources, stories


def story_counts(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(hours=24),
                 now: datetime | None = None) -> dict:
    """Posts in the window counted as unique stories: `{"posts", "stories", "amplified"}`.

    A post without a story (grouping not yet run) counts as a story of its own.
    """
    filters = resolve(filters, window, now)
    per_story = (
        select(func.coalesce(posts.c.story_id, -posts.c.id).label("story"), func.count().label("n"))
        .where(*filters.conditions())
        .group_by(func.coalesce(posts.c.story_id, -posts.c.id))
        .subquery()
    )
    row = conn.execute(
        select(
            func.coalesce(func.sum(per_story.c.n), 0),
            func.count(),
            func.coalesce(func.sum(case((per_story.c.n > 1, 1), else_=0)), 0),
        )
    ).one()
    return {"posts": int(row[0]), "stories": int(row[1]), "amplified": int(row[2]),
            "since": filters.since.isoformat(), "until": filters.until.isoformat()}

def top_stories(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(hours=24),
                now: datetime | None = None, limit: int = 10, min_posts: int = 1) -> dict:
    """Most amplified stories with posts in the window, with their first source.

    `{"items": [{"id", "title", "posts", "sources", "amplification", "first_seen", "last_seen",
    "first_source", "first_url", "first_channel"}], **story_counts}`
    """
    filters = resolve(filters, window, now)
    in_window = (
        select(
            posts.c.story_id,
            func.count().label("n"),
            func.count(posts.c.source_id.distinct()).label("sources"),
        )
        .where(posts.c.story_id.is_not(None), *filters.conditions())
        .group_by(posts.c.story_id)
        .having(func.count() >= min_posts)
        .order_by(func.count().desc(), posts.c.story_id.desc())
        .limit(max(1, min(limit, 200)))
        .subquery()
    )
    first = posts.alias("first")
    rows = conn.execute(
        select(
            stories, in_window.c.n, in_window.c.sources,
            first.c.url.label("first_url"), first.c.channel.label("first_channel"), sources.c.name.label("first_source"),
        )
        .join(in_window, in_window.c.story_id == stories.c.id)
        .outerjoin(first, first.c.id == stories.c.first_post_id)
        .outerjoin(sources, sources.c.id == first.c.source_id)
        .order_by(in_window.c.n.desc(), stories.c.id.desc())
    ).all()
    items = [
        {
            "id": row.id,
            "title": row.title,
            "posts": row.n,
            "sources": row.sources,
            "amplification": row.posts,
            "first_seen": row.first_seen.isoformat(),
            "last_seen": row.last_seen.isoformat(),
            "first_source": row.first_source,
            "first_channel": row.first_channel,
            "first_url": row.first_url,
        }
        for row in rows
    ]
    return {"items": items, **story_counts(conn, filters)}

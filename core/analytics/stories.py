"""Story figures over a window: how many stories, the most carried ones with their first source, and
the story-level label counts every mood figure is made of.

A story counts once in a mood: syndication adds reach, not weight. Its label is the label of the
majority of its scored copies in the window, a tie going to the label seen first (the first post's).
A story none of whose copies is scored is "other_language" or "unscored" by the same majority rule.
A post without a story (grouping not yet run) is a story of its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import ColumnElement, Connection, FromClause, case, func, literal, select

from core.analytics.window import resolve
from core.store.filters import PostFilter
from core.store.schema import posts, scores, sources, stories
from core.store.scores import other_language
from core.vocabulary import LABELS, OTHER_LANGUAGE, UNSCORED

# What a post counts as in a mood figure: a label, another language, or waiting for the scorer.
CATEGORIES = (*LABELS, UNSCORED, OTHER_LANGUAGE)

story_key = func.coalesce(posts.c.story_id, -posts.c.id)


def post_category() -> ColumnElement[str]:
    return case((scores.c.label.is_not(None), scores.c.label), (other_language(), literal(OTHER_LANGUAGE)),
                else_=literal(UNSCORED))


def category_counts(conn: Connection, conditions: Sequence[Any], *, by: Sequence[Any] = (),
                    select_from: FromClause | None = None) -> list[tuple]:
    """Rows `(*by, category, posts, stories)`: posts per category, and stories per their category.

    `conditions` select the posts (PostFilter.conditions() and the like); `by` are extra grouping
    columns (a theme, a time bucket), each story counted once per group; `select_from` replaces the
    default posts ⟕ scores (e.g. to join post_themes first; it must hold posts and scores).
    """
    category = post_category()
    source = select_from if select_from is not None else posts.outerjoin(scores, scores.c.post_id == posts.c.id)
    by_labels = [column.label(f"by{i}") for i, column in enumerate(by)]
    per = (
        select(*by_labels, story_key.label("story"), category.label("category"), func.count().label("n"),
               func.min(posts.c.published_at).label("first_at"), func.min(posts.c.id).label("first_id"))
        .select_from(source)
        .where(*conditions)
        .group_by(*by, story_key, category)
        .subquery()
    )
    groups = [per.c[f"by{i}"] for i in range(len(by))]
    unscored_last = case((per.c.category.in_(LABELS), 0), else_=1)
    ranked = select(
        per,
        func.row_number().over(
            partition_by=[*groups, per.c.story],
            order_by=[unscored_last, per.c.n.desc(), per.c.first_at, per.c.first_id],
        ).label("rank"),
    ).subquery()
    groups = [ranked.c[f"by{i}"] for i in range(len(by))]
    rows = conn.execute(
        select(*groups, ranked.c.category, func.sum(ranked.c.n),
               func.sum(case((ranked.c.rank == 1, 1), else_=0)))
        .group_by(*groups, ranked.c.category)
    )
    return [(*row[:-2], int(row[-2] or 0), int(row[-1] or 0)) for row in rows]


def label_counts(conn: Connection, filters: PostFilter) -> dict[str, dict[str, int]]:
    """`{"posts": {category: n}, "stories": {category: n}}` for the posts matching `filters`."""
    counts: dict[str, dict[str, int]] = {"posts": dict.fromkeys(CATEGORIES, 0), "stories": dict.fromkeys(CATEGORIES, 0)}
    for category, n_posts, n_stories in category_counts(conn, filters.conditions()):
        counts["posts"][category] += n_posts
        counts["stories"][category] += n_stories
    return counts


def story_counts(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(hours=24),
                 now: datetime | None = None) -> dict:
    """Posts in the window counted as unique stories: `{"posts", "stories", "amplified"}`.

    A post without a story (grouping not yet run) counts as a story of its own.
    """
    filters = resolve(filters, window, now)
    per_story = (
        select(story_key.label("story"), func.count().label("n"))
        .where(*filters.conditions())
        .group_by(story_key)
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

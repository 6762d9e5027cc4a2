"""Per-theme figures over a window: volume (posts and stories), mood and the change against the window before.

The mood of a theme is that of its scored stories, each counted once (core.analytics.summary).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Connection, and_

from core.analytics.stories import CATEGORIES, category_counts
from core.analytics.summary import MIN_SAMPLE, mood
from core.analytics.window import resolve
from core.config.watch import Theme
from core.store.filters import PostFilter
from core.store.schema import post_themes, posts, scores


def theme_stats(
    conn: Connection,
    themes: Sequence[Theme],
    filters: PostFilter = PostFilter(),
    *,
    window: timedelta = timedelta(hours=24),
    now: datetime | None = None,
    min_sample: int = MIN_SAMPLE,
) -> dict:
    """Per configured theme: posts, stories and mood in the window, posts in the window before, the page.

    `{"themes": [{"name", "title", "page", "posts", "stories", "negative", "neutral", "positive",
    "unscored", "other_language", "sample", "shares", "net_sentiment", "interval", "margin",
    "low_sample", "previous_posts", "change"}], "since", "until"}`, busiest theme first; the counts
    per label are posts, the mood is over scored stories (core.analytics.summary.mood).
    """
    current = resolve(filters, window, now)
    since, until = current.since, current.until
    previous_since = since - (until - since)
    base = filters.replace(theme=None, since=None, until=None).conditions()
    current_window = posts.c.published_at >= since
    rows = category_counts(
        conn,
        [and_(posts.c.published_at >= previous_since, posts.c.published_at < until), *base],
        by=(post_themes.c.theme, current_window),
        select_from=post_themes.join(posts, posts.c.id == post_themes.c.post_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id),
    )
    counts: dict[str, dict[str, dict[str, int]]] = {}
    previous: dict[str, int] = {}
    for theme, is_current, category, n_posts, n_stories in rows:
        if is_current:
            tally = counts.setdefault(theme, {"posts": dict.fromkeys(CATEGORIES, 0), "stories": dict.fromkeys(CATEGORIES, 0)})
            tally["posts"][category] += n_posts
            tally["stories"][category] += n_stories
        else:
            previous[theme] = previous.get(theme, 0) + n_posts
    result: list[dict[str, Any]] = []
    for theme in themes:
        tally = counts.get(theme.name, {"posts": {}, "stories": {}})
        total = sum(tally["posts"].values())
        before = previous.get(theme.name, 0)
        result.append({
            "name": theme.name,
            "title": theme.title,
            "page": theme.page or None,
            "posts": total,
            "stories": sum(tally["stories"].values()),
            **{key: tally["posts"].get(key, 0) for key in CATEGORIES},
            **mood(tally["stories"], min_sample),
            "previous_posts": before,
            "change": total - before,
        })
    result.sort(key=lambda t: (-t["posts"], t["name"]))
    return {"themes": result, "since": since.isoformat(), "until": until.isoformat()}

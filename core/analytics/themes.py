"""Per-theme figures over a window: volume, mood and the change against the window before."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import Connection, and_, func, select

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
) -> dict:
    """Per configured theme: posts and sentiment in the window and the window before, with the page.

    `{"themes": [{"name", "title", "page", "posts", "negative", "neutral", "positive", "unscored",
    "net_sentiment", "previous_posts", "change"}], "since", "until"}`, busiest theme first.
    """
    current = resolve(filters, window, now)
    since, until = current.since, current.until
    previous_since = since - (until - since)
    base = filters.replace(theme=None, since=None, until=None).conditions()
    label = func.coalesce(scores.c.label, "unscored")
    current_window = posts.c.published_at >= since
    query = (
        select(post_themes.c.theme, current_window.label("current"), label.label("label"), func.count())
        .select_from(post_themes)
        .join(posts, posts.c.id == post_themes.c.post_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(and_(posts.c.published_at >= previous_since, posts.c.published_at < until), *base)
        .group_by(post_themes.c.theme, current_window, label)
    )
    counts: dict[str, dict[str, int]] = {}
    previous: dict[str, int] = {}
    for theme, current, lab, n in conn.execute(query):
        if current:
            counts.setdefault(theme, {}).setdefault(lab, 0)
            counts[theme][lab] += n
        else:
            previous[theme] = previous.get(theme, 0) + n
    result = []
    for theme in themes:
        by_label = counts.get(theme.name, {})
        total = sum(by_label.values())
        pos, neg = by_label.get("positive", 0), by_label.get("negative", 0)
        before = previous.get(theme.name, 0)
        result.append({
            "name": theme.name,
            "title": theme.title,
            "page": theme.page or None,
            "posts": total,
            "negative": neg,
            "neutral": by_label.get("neutral", 0),
            "positive": pos,
            "unscored": by_label.get("unscored", 0),
            "net_sentiment": round(100 * (pos - neg) / total, 1) if total else None,
            "previous_posts": before,
            "change": total - before,
        })
    result.sort(key=lambda t: (-t["posts"], t["name"]))
    return {"themes": result, "since": since.isoformat(), "until": until.isoformat()}

"""Summary: posts and sentiment for a window, against the window of equal length before it.

Net sentiment = 100 × (positive − negative) / all posts in the window (DESIGN.md). Figures based on
fewer than `min_sample` posts carry `low_sample: true`, so a screen never shouts about three posts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from core.analytics.window import previous, resolve
from core.store.filters import LABELS, PostFilter
from core.store.retention import archived_label_counts
from core.store.schema import posts, scores, sources

MIN_SAMPLE = 20
KEYS = (*LABELS, "unscored")


def label_counts(conn: Connection, filters: PostFilter) -> dict[str, int]:
    """Posts matching `filters` per label, 'unscored' for posts without a score yet."""
    label = func.coalesce(scores.c.label, "unscored")
    rows = conn.execute(
        select(label, func.count())
        .select_from(posts.outerjoin(scores, scores.c.post_id == posts.c.id))
        .where(*filters.conditions())
        .group_by(label)
    )
    counts = dict.fromkeys(KEYS, 0)
    for key, n in rows:
        counts[key] = counts.get(key, 0) + n
    # Posts deleted by retention live on as anonymous hourly counts; they can only answer filters on
    # time, channel and source.
    if filters.since and filters.until and not any((filters.q, filters.theme, filters.label, filters.lang, filters.author)):
        source_id = None
        if filters.source:
            source_id = conn.execute(select(sources.c.id).where(sources.c.name == filters.source)).scalar()
        archived = archived_label_counts(conn, filters.since, filters.until, channel=filters.channel, source_id=source_id)
        for key, n in archived.items():
            counts[key] += n
    return counts


def figures(counts: dict[str, int], min_sample: int = MIN_SAMPLE) -> dict:
    """Counts -> posts, counts, shares (% of all posts), net sentiment and the low-sample flag."""
    total = sum(counts.values())
    result = {"posts": total, **{key: counts.get(key, 0) for key in KEYS}}
    result["shares"] = {key: round(100 * counts.get(key, 0) / total, 1) if total else None for key in KEYS}
    result["net_sentiment"] = (
        round(100 * (counts.get("positive", 0) - counts.get("negative", 0)) / total, 1) if total else None
    )
    result["low_sample"] = total < min_sample
    return result


def summary(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(hours=24),
            now: datetime | None = None, min_sample: int = MIN_SAMPLE) -> dict:
    """`{"posts", "negative", "neutral", "positive", "unscored", "shares", "net_sentiment", "low_sample",
    "since", "until", "previous": {same figures}, "change": {"posts", "net_sentiment"}}`.

    The window ends at `filters.until` (default now) and starts at `filters.since` (default end − window).
    """
    current = resolve(filters, window, now)
    before = previous(current)
    result = figures(label_counts(conn, current), min_sample)
    prior = figures(label_counts(conn, before), min_sample)
    prior.update(since=before.since.isoformat(), until=before.until.isoformat())
    result.update(since=current.since.isoformat(), until=current.until.isoformat(), previous=prior)
    net_change = None
    if result["net_sentiment"] is not None and prior["net_sentiment"] is not None:
        net_change = round(result["net_sentiment"] - prior["net_sentiment"], 1)
    result["change"] = {"posts": result["posts"] - prior["posts"], "net_sentiment": net_change}
    return result

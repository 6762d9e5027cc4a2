"""Summary: posts, stories and the mood for a window, against the window of equal length before it.

The mood is measured on scored stories only: net sentiment = 100 × (positive − negative) / scored
stories, where a story is counted once with the label of the majority of its copies
(core.analytics.stories), so a press release carried by four outlets weighs as one voice. Posts in
other languages are counted apart and never in the mood; posts still waiting for the scorer neither.

Every mood figure carries its sample size (`sample`: the scored stories it rests on) and, when that
sample is small, a margin: a 95 % Wilson interval on net sentiment. Below `min_sample` the figure is
`low_sample` and the outputs show "te weinig berichten" instead of the number.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from core.analytics.stories import CATEGORIES
from core.analytics.stories import label_counts as story_label_counts
from core.analytics.window import previous, resolve
from core.store.filters import PostFilter
from core.store.retention import archived_label_counts
from core.store.schema import sources
from core.vocabulary import LABELS

MIN_SAMPLE = 20
# Up to this many scored stories a net sentiment carries its margin (about ±7 points at 200).
MARGIN_SAMPLE = 200
Z95 = 1.959964
KEYS = CATEGORIES


def label_counts(conn: Connection, filters: PostFilter) -> dict[str, dict[str, int]]:
    """`{"posts": {category: n}, "stories": {category: n}}` for `filters`, categories as in KEYS.

    Posts deleted by retention live on as anonymous hourly counts per label (other languages apart),
    without stories: each counts as a story of its own, and they only answer filters on time, channel
    and source.
    """
    counts = story_label_counts(conn, filters)
    if filters.since and filters.until and not any((filters.q, filters.theme, filters.label, filters.lang, filters.author)):
        source_id = None
        if filters.source:
            source_id = conn.execute(select(sources.c.id).where(sources.c.name == filters.source)).scalar()
        archived = archived_label_counts(conn, filters.since, filters.until, channel=filters.channel, source_id=source_id)
        for key, n in archived.items():
            counts["posts"][key] += n
            counts["stories"][key] += n
    return counts


def net_interval(positive: int, neutral: int, negative: int, z: float = Z95) -> tuple[float, float] | None:
    """A 95 % interval on net sentiment: the Wilson score interval of the mean of the stories' scores
    mapped to 1 (positive), ½ (neutral) and 0 (negative), mapped back to −100…+100. Conservative: a
    neutral has less variance than the coin flip Wilson assumes. None without a sample."""
    n = positive + neutral + negative
    if not n:
        return None
    p = (positive + neutral / 2) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(100 * (2 * (centre - half) - 1), 1), round(100 * (2 * (centre + half) - 1), 1)


def mood(stories: dict[str, int], min_sample: int = MIN_SAMPLE) -> dict[str, Any]:
    """Story counts per label -> `{"sample", "shares", "net_sentiment", "interval", "margin", "low_sample"}`:
    shares in % of scored stories, the interval always (None without a sample), the margin (half the
    interval, points) only while the sample is at most MARGIN_SAMPLE."""
    sample = sum(stories.get(key, 0) for key in LABELS)
    pos, neu, neg = (stories.get(key, 0) for key in ("positive", "neutral", "negative"))
    interval = net_interval(pos, neu, neg)
    return {
        "sample": sample,
        "shares": {key: round(100 * stories.get(key, 0) / sample, 1) if sample else None for key in LABELS},
        "net_sentiment": round(100 * (pos - neg) / sample, 1) if sample else None,
        "interval": list(interval) if interval else None,
        "margin": round((interval[1] - interval[0]) / 2, 1) if interval and sample <= MARGIN_SAMPLE else None,
        "low_sample": sample < min_sample,
    }


def figures(counts: dict[str, dict[str, int]], min_sample: int = MIN_SAMPLE) -> dict[str, Any]:
    """Post and story counts -> the summary's figures (see `summary`)."""
    posts, stories = counts["posts"], counts["stories"]
    return {
        "posts": sum(posts.values()),
        "stories": sum(stories.values()),
        **{key: posts.get(key, 0) for key in KEYS},
        "scored": sum(posts.get(key, 0) for key in LABELS),
        "story_counts": {key: stories.get(key, 0) for key in KEYS},
        **mood(stories, min_sample),
    }


def summary(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(hours=24),
            now: datetime | None = None, min_sample: int = MIN_SAMPLE) -> dict:
    """Volume and mood of a window, with the window before it. The shape (the wall, the workspace,
    the newsletter and GET /api/summary read it):

    - `posts`, `stories`: all posts in the window, and the unique stories they carry;
    - `negative`, `neutral`, `positive`: scored posts per label; `scored`: their sum;
      `other_language`: posts in another language (counted apart, never in the mood);
      `unscored`: posts waiting for the scorer;
    - `story_counts`: the same five counts for stories (each story under its majority label);
    - the mood, over scored stories: `sample` (how many), `shares` (% per label), `net_sentiment`
      (−100…+100, None without a sample), `interval` ([low, high], 95 %), `margin` (± points, only
      while the sample is small), `low_sample` (below `min_sample`: show "te weinig berichten");
    - `since`, `until`; `previous`: the same figures for the window before;
      `change`: `{"posts", "net_sentiment"}` (the latter None when either window is `low_sample`).

    The window ends at `filters.until` (default now) and starts at `filters.since` (default end − window).
    """
    current = resolve(filters, window, now)
    before = previous(current)
    result = figures(label_counts(conn, current), min_sample)
    prior = figures(label_counts(conn, before), min_sample)
    prior.update(since=before.since.isoformat(), until=before.until.isoformat())
    result.update(since=current.since.isoformat(), until=current.until.isoformat(), previous=prior)
    net_change = None
    if not result["low_sample"] and not prior["low_sample"]:
        net_change = round(result["net_sentiment"] - prior["net_sentiment"], 1)
    result["change"] = {"posts": result["posts"] - prior["posts"], "net_sentiment": net_change}
    return result

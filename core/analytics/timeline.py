"""Timeline: posts per hour or per day over a window, split by sentiment label or by channel.

Buckets are zero-filled and start on the hour or at local midnight in the configured timezone
(Europe/Amsterdam), so a day bucket is the day people on the wall think of, DST included. The store is
grouped per UTC hour; local days are sums of whole hours because the zone's offsets are whole hours.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, FromClause, String, func, select

from core.analytics.stories import CATEGORIES, post_category
from core.analytics.window import resolve
from core.store.filters import PostFilter
from core.store.schema import posts, scores
from core.vocabulary import CHANNELS

BUCKETS = ("hour", "day")
# By label, posts in other languages are their own key: they are not waiting for a score.
SPLITS = {"label": CATEGORIES, "channel": CHANNELS}
MAX_BUCKETS = 24 * 400


def hour_expression(conn: Connection):
    """The UTC hour of posts.published_at, as the dialect can group it fast."""
    if conn.dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; the first 13 characters are the hour.
        return func.substr(posts.c.published_at, 1, 13, type_=String)
    return func.date_trunc("hour", posts.c.published_at)


def _as_hour(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value[:13] + ":00")  # strptime is ten times slower
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def hourly_counts(conn: Connection, filters: PostFilter, by: str = "label") -> dict[tuple[datetime, str], int]:
    """{(UTC hour, key): posts} for the posts matching `filters`."""
    hour = hour_expression(conn)
    key: ColumnElement[Any]
    source: FromClause
    if by == "label":
        key = post_category()
        source = posts.outerjoin(scores, scores.c.post_id == posts.c.id)
    elif by == "channel":
        key, source = posts.c.channel, posts
    else:
        raise ValueError(f"by must be one of {', '.join(SPLITS)}, got {by!r}")
    rows = conn.execute(
        select(hour, key, func.count()).select_from(source).where(*filters.conditions()).group_by(hour, key)
    )
    counts: dict[tuple[datetime, str], int] = {}
    for stamp, name, n in rows:
        slot = (_as_hour(stamp), name)
        counts[slot] = counts.get(slot, 0) + n
    return counts


def bucket_starts(since: datetime, until: datetime, bucket: str, tz: ZoneInfo) -> list[datetime]:
    """Aware starts of every bucket that overlaps [since, until), in `tz`."""
    starts: list[datetime] = []
    if bucket == "hour":
        current = since.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        while current < until:
            starts.append(current.astimezone(tz))
            current += timedelta(hours=1)
    elif bucket == "day":
        day: date = since.astimezone(tz).date()
        while (start := datetime.combine(day, time(), tzinfo=tz)) < until:
            starts.append(start)
            day += timedelta(days=1)
    else:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")
    return starts


def timeline(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(days=7),
             bucket: str = "hour", by: str = "label", now: datetime | None = None,
             tz: str | ZoneInfo = "Europe/Amsterdam") -> dict:
    """`{"buckets": [{"start", "counts": {key: n}}], "bucket", "by", "keys", "since", "until", "timezone"}`."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    if by not in SPLITS:
        raise ValueError(f"by must be one of {', '.join(SPLITS)}, got {by!r}")
    current = resolve(filters, window, now)
    # Checked before the buckets are built: a far-back `since` would otherwise take seconds to refuse.
    span = (current.until - current.since) / (timedelta(hours=1) if bucket == "hour" else timedelta(days=1))
    if int(span) + 1 > MAX_BUCKETS:  # an unaligned window touches one bucket more than its length
        raise ValueError(f"{int(span) + 1} buckets is too many; use a shorter window or day buckets")
    starts = bucket_starts(current.since, current.until, bucket, zone)
    hourly = hourly_counts(conn, current, by)
    keys = list(SPLITS[by]) + sorted({key for _, key in hourly} - set(SPLITS[by]))
    index = {start: i for i, start in enumerate(starts)}
    rows = [dict.fromkeys(keys, 0) for _ in starts]
    for (hour, key), n in hourly.items():
        if bucket == "hour":
            slot = index.get(hour.astimezone(zone))
        else:
            slot = index.get(datetime.combine(hour.astimezone(zone).date(), time(), tzinfo=zone))
        if slot is not None:
            rows[slot][key] += n
    return {
        "buckets": [{"start": start.isoformat(), "counts": counts} for start, counts in zip(starts, rows)],
        "bucket": bucket,
        "by": by,
        "keys": keys,
        "since": current.since.isoformat(),
        "until": current.until.isoformat(),
        "timezone": zone.key,
    }

"""Retention: posts older than their channel's retention period are deleted by a scheduled job.

What is deleted first becomes anonymous hourly counts (per source, channel and label) in
`archived_counts`, so long-range aggregates still add up after the posts are gone. Stories go with
their last post, or are rewritten from the posts that remain (core.store.stories); alerts drop their
references to deleted posts; a newsletter's content goes once the first post it quotes is past its
retention (core.store.newsletters), the whole row once it is older than the longest retention. The audit
log, and the crawl runs' history with its error texts, are kept for `privacy.audit_retention` (each
source's newest run and newest good run stay). A story's fingerprints go KEYS_KEPT after its newest post
(core.store.stories), when no new post can join it any more; the story stays as long as its posts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update

from core.config.watch import WatchConfig, parse_duration
from core.store import audit
from core.store import newsletters as newsletter_store
from core.store.schema import (
    alerts,
    archived_counts,
    newsletters,
    posts,
    scores,
    utcnow,
)
from core.store.scores import other_language
from core.store.sources import prune_runs
from core.store.stories import KEYS_KEPT, prune_story_keys, rewrite_stories, stories_of
from core.vocabulary import LABELS, OTHER_LANGUAGE, UNSCORED

BATCH = 5000


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _archive_and_delete(conn: Connection, channel: str, cutoff: datetime) -> set[int]:
    """Archive counts of one batch of expired posts of `channel`, delete them; returns their ids."""
    ids = set(conn.execute(
        select(posts.c.id).where(posts.c.channel == channel, posts.c.published_at < cutoff).limit(BATCH)
    ).scalars())
    if ids:
        archive_and_delete(conn, ids)
    return ids


def archive_and_delete(conn: Connection, ids: set[int]) -> None:
    """Turn posts into anonymous hourly counts and delete them (retention, erasure on request): their
    scores, themes and corrections go with them, their stories are rewritten, alerts forget them."""
    rows = conn.execute(
        select(posts.c.id, posts.c.source_id, posts.c.channel, posts.c.published_at, scores.c.label,
               other_language().label("other_language"))
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.id.in_(ids))
    ).all()
    counts: dict[tuple, int] = {}
    for row in rows:
        # A post in another language stays counted apart from those the scorer had not reached.
        label = row.label or (OTHER_LANGUAGE if row.other_language else UNSCORED)
        key = (_hour(row.published_at), row.source_id, row.channel, label)
        counts[key] = counts.get(key, 0) + 1
    for (hour, source_id, channel, label), n in counts.items():
        match = (
            (archived_counts.c.hour == hour) & (archived_counts.c.source_id == source_id)
            & (archived_counts.c.channel == channel) & (archived_counts.c.label == label)
        )
        updated = conn.execute(update(archived_counts).where(match).values(n=archived_counts.c.n + n)).rowcount
        if not updated:
            conn.execute(insert(archived_counts).values(hour=hour, source_id=source_id, channel=channel,
                                                        label=label, n=n))
    touched = stories_of(conn, ids)
    conn.execute(delete(posts).where(posts.c.id.in_(ids)))
    rewrite_stories(conn, touched)
    forget_in_alerts(conn, ids)


def apply_retention(conn: Connection, config: WatchConfig, now: datetime | None = None) -> dict[str, int]:
    """Delete what the retention settings no longer allow; returns deleted posts per channel."""
    now = now or utcnow()
    deleted: dict[str, int] = {}
    for channel, period in config.privacy.retention.items():
        cutoff = now - parse_duration(period)
        total = 0
        while batch := _archive_and_delete(conn, channel, cutoff):
            total += len(batch)
        deleted[channel] = total
    prune_story_keys(conn, now - KEYS_KEPT)  # after the rewrites above, which give stories their keys again
    audit.prune(conn, now - parse_duration(config.privacy.audit_retention))
    prune_runs(conn, now - parse_duration(config.privacy.audit_retention))
    newsletter_store.expire(conn, now)
    longest = max((parse_duration(p) for p in config.privacy.retention.values()), default=timedelta(days=365))
    conn.execute(delete(newsletters).where(newsletters.c.built_at < now - longest))
    return deleted


def forget_in_alerts(conn: Connection, removed: set[int]) -> None:
    for alert in conn.execute(select(alerts.c.id, alerts.c.post_ids)).all():
        kept = [pid for pid in (alert.post_ids or []) if pid not in removed]
        if len(kept) != len(alert.post_ids or []):
            conn.execute(update(alerts).where(alerts.c.id == alert.id).values(post_ids=kept))


def archived_label_counts(conn: Connection, since: datetime, until: datetime, *, channel: str | None = None,
                          source_id: int | None = None) -> dict[str, int]:
    """Counts per label of deleted posts whose hour lies in [since, until)."""
    query = (
        select(archived_counts.c.label, func.sum(archived_counts.c.n))
        .where(archived_counts.c.hour >= since, archived_counts.c.hour < until)
        .group_by(archived_counts.c.label)
    )
    if channel:
        query = query.where(archived_counts.c.channel == channel)
    if source_id is not None:
        query = query.where(archived_counts.c.source_id == source_id)
    counts = dict.fromkeys((*LABELS, UNSCORED), 0)
    for label, n in conn.execute(query):
        counts[label] = int(n)
    return counts

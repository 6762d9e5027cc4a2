"""Opinion makers: authors ranked over a window by the response their stories get, with sentiment.

Impact = reach × engagement rate, summed over the author's stories: per story, the engagement rate is
its response (likes + reposts + replies) per follower, so reach × rate is the response itself. That is
the point: followers alone win nothing (a big account nobody reacts to scores 0; a resident whose post
is shared 1,400 times scores 1,400+), and a story counts once per author however often the author
carried it (an outlet's site and its Mastodon account, a re-post), its response the best of its copies.
Ties go to reach, then to stories.

Public accounts that are one organisation or person on several platforms are merged into one row by
the watch configuration's `[[privacy.public_roles]]` aliases ("De Stadsflaneur" on Mastodon and
"stadsflaneur" on Bluesky). Organisations and public accounts (posts.author_public) appear by name;
private individuals only as a pseudonym derived from their (already pseudonymised) author_id, never by
their name: the wall and the newsletter are seen by people who have no business knowing who wrote what.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Connection, func, select

from core.analytics.stories import post_category, story_key
from core.analytics.window import resolve
from core.ingest.privacy import shown_pseudonym as pseudonym
from core.matching import fold
from core.store.filters import PostFilter
from core.store.schema import posts, scores
from core.vocabulary import LABELS

SORTS = ("impact", "reach", "engagement", "posts")


@dataclass
class _Maker:
    key: str
    public: bool
    name: str | None = None
    channels: dict[str, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    posts: int = 0
    reach: int = 0
    # story -> (best engagement of its copies, {category: (copies, first published, first id)})
    stories: dict[Any, list] = field(default_factory=dict)


def opinion_makers(conn: Connection, filters: PostFilter = PostFilter(), *, window: timedelta = timedelta(days=7),
                   now: datetime | None = None, limit: int = 20, sort: str = "impact",
                   include_private: bool = True, aliases: Mapping[str, str] | None = None) -> dict:
    """`{"items": [{"name", "public", "key", "keys", "channel", "channels", "posts", "stories", "reach",
    "engagement", "engagement_rate", "impact", "negative", "neutral", "positive", "unscored",
    "other_language", "net_sentiment"}], "since", "until"}`.

    reach = the largest audience (followers) seen in the window on any of the author's accounts;
    engagement = impact = the response summed over the author's stories (the best copy of each);
    engagement_rate = response per story per follower, in % (None without a known reach); the label
    counts and net_sentiment are over the author's stories (majority label of their copies).
    `aliases` (WatchConfig.privacy.aliases) maps public handles and names to the one name they are
    shown by. `key` (the value the `author` filter takes) is given for public authors only, `keys` all
    of a merged author's handles.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    current = resolve(filters, window, now)
    folded = {fold(alias): name for alias, name in (aliases or {}).items()}
    author_key = func.coalesce(posts.c.author_id, posts.c.author)
    engagement = func.coalesce(posts.c.likes, 0) + func.coalesce(posts.c.reposts, 0) + func.coalesce(posts.c.replies, 0)
    category = post_category()
    where = [*current.conditions(), author_key.is_not(None), author_key != ""]
    if not include_private:
        where.append(posts.c.author_public.is_(True))
    rows = conn.execute(
        select(
            author_key.label("key"), posts.c.author_public.label("public"), func.max(posts.c.author).label("name"),
            posts.c.channel, story_key.label("story"), category.label("category"), func.count().label("n"),
            func.max(posts.c.author_reach).label("reach"), func.max(engagement).label("engagement"),
            func.min(posts.c.published_at).label("first_at"), func.min(posts.c.id).label("first_id"),
        )
        .select_from(posts.outerjoin(scores, scores.c.post_id == posts.c.id))
        .where(*where)
        .group_by(author_key, posts.c.author_public, posts.c.channel, story_key, category)
    )
    makers: dict[tuple[str, bool], _Maker] = {}
    for row in rows:
        merged = (folded.get(fold(row.key)) or folded.get(fold(row.name or ""))) if row.public else None
        identity = (merged or row.key, bool(row.public))
        maker = makers.setdefault(identity, _Maker(key=row.key, public=bool(row.public), name=merged or row.name))
        maker.keys.add(row.key)
        maker.posts += row.n
        maker.reach = max(maker.reach, int(row.reach or 0))
        maker.channels[row.channel] = maker.channels.get(row.channel, 0) + row.n
        story = maker.stories.setdefault(row.story, [0, {}])
        story[0] = max(story[0], int(row.engagement or 0))
        copies = story[1].get(row.category)
        first = (row.first_at, row.first_id)
        story[1][row.category] = (row.n + (copies[0] if copies else 0), min(first, copies[1]) if copies else first)
    items = [_item(maker) for maker in makers.values()]
    order = {"impact": "impact", "reach": "reach", "engagement": "engagement", "posts": "posts"}[sort]
    items.sort(key=lambda i: (-i[order], -i["reach"], -i["stories"], -i["posts"], i["name"]))
    return {"items": items[: max(1, min(limit, 200))], "since": current.since.isoformat(),
            "until": current.until.isoformat()}


def _item(maker: _Maker) -> dict:
    labels = dict.fromkeys((*LABELS, "unscored", "other_language"), 0)
    response = 0
    for best, categories in maker.stories.values():
        response += best
        # A story's label: the majority of the author's scored copies, a tie to the first of them.
        scored = {c: v for c, v in categories.items() if c in LABELS} or categories
        label = min(scored, key=lambda c: (-scored[c][0], scored[c][1]))
        labels[label] += 1
    stories = len(maker.stories)
    sample = sum(labels[key] for key in LABELS)
    if maker.public:
        name = maker.name or maker.key
    else:
        name = pseudonym(maker.key)
    return {
        "name": name,
        "public": maker.public,
        "key": maker.key if maker.public else None,
        "keys": sorted(maker.keys) if maker.public else [],
        "channel": max(maker.channels, key=lambda c: (maker.channels[c], c)),
        "channels": sorted(maker.channels),
        "posts": maker.posts,
        "stories": stories,
        "reach": maker.reach,
        "engagement": response,
        "engagement_rate": round(100 * response / stories / maker.reach, 2) if maker.reach else None,
        "impact": response,
        **labels,
        "net_sentiment": round(100 * (labels["positive"] - labels["negative"]) / sample, 1) if sample else None,
    }

"""The filter every post query shares (API lists, summary, timeline, export, wall)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select

from core.store.schema import post_handling, post_themes, posts, scores, sources
from core.store.search import matches


@dataclass(frozen=True)
class PostFilter:
    q: str | None = None
    channel: str | None = None
    source: str | None = None
    theme: str | None = None
    label: str | None = None  # negative | neutral | positive | unscored
    lang: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    handled: bool | None = None  # marked "afgehandeld" in the workspace (core.store.workspace)

    def replace(self, **changes) -> "PostFilter":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return PostFilter(**values)

    def conditions(self) -> list[ColumnElement]:
        """WHERE conditions on `posts` (joins expressed as EXISTS so callers need no joins).

        Subqueries use aliases so they never auto-correlate with tables the caller already joins.
        """
        where: list[ColumnElement] = []
        if self.channel:
            where.append(posts.c.channel == self.channel)
        if self.source:
            named = sources.alias("filter_source")
            where.append(posts.c.source_id == select(named.c.id).where(named.c.name == self.source).scalar_subquery())
        if self.theme:
            tagged = post_themes.alias("filter_theme")
            where.append(exists().where(and_(tagged.c.post_id == posts.c.id, tagged.c.theme == self.theme)))
        if self.label:
            score = scores.alias("filter_score")
            if self.label == "unscored":
                where.append(~exists().where(score.c.post_id == posts.c.id))
            else:
                where.append(exists().where(and_(score.c.post_id == posts.c.id, score.c.label == self.label)))
        if self.lang:
            where.append(posts.c.lang == self.lang)
        if self.author:
            where.append(or_(posts.c.author == self.author, posts.c.author_id == self.author))
        if self.since:
            where.append(posts.c.published_at >= self.since)
        if self.until:
            where.append(posts.c.published_at < self.until)
        if self.handled is not None:
            done = exists().where(post_handling.c.post_id == posts.c.id)
            where.append(done if self.handled else ~done)
        if self.q:
            # Full text (core.search): SQLite FTS5 or PostgreSQL's Dutch text search.
            where.append(matches(self.q))
        return where

"""The filter every post query shares (API lists, summary, timeline, export, wall)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select

from .schema import post_themes, posts, scores, sources

LABELS = ("negative", "neutral", "positive")
CHANNELS = ("news", "forum", "social")


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

    def replace(self, **changes) -> "PostFilter":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return PostFilter(**values)

    def conditions(self) -> list[ColumnElement]:
        """WHERE conditions on `posts` (joins expressed as EXISTS so callers need no joins)."""
        where: list[ColumnElement] = []
        if self.channel:
            where.append(posts.c.channel == self.channel)
        if self.source:
            where.append(posts.c.source_id == select(sources.c.id).where(sources.c.name == self.source).scalar_subquery())
        if self.theme:
            where.append(
                exists().where(and_(post_themes.c.post_id == posts.c.id, post_themes.c.theme == self.theme))
            )
        if self.label == "unscored":
            where.append(~exists().where(scores.c.post_id == posts.c.id))
        elif self.label:
            where.append(exists().where(and_(scores.c.post_id == posts.c.id, scores.c.label == self.label)))
        if self.lang:
            where.append(posts.c.lang == self.lang)
        if self.author:
            where.append(or_(posts.c.author == self.author, posts.c.author_id == self.author))
        if self.since:
            where.append(posts.c.published_at >= self.since)
        if self.until:
            where.append(posts.c.published_at < self.until)
        if self.q:
            for word in self.q.split():
                pattern = f"%{_escape_like(word)}%"
                where.append(
                    or_(posts.c.title.ilike(pattern, escape="\\"), posts.c.text.ilike(pattern, escape="\\"))
                )
        return where


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

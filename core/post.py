"""The one post shape: a stored post as every room reads it (the API, exports, alerts, the wall).

`Post` is a post in full (DESIGN.md: GET /api/posts); `PostBrief` is the same post in a list of others (a
story's other posts, a thread, the posts behind an alert). Both are built from a row of the store's post
query (core.store.listing) and turned into JSON with `as_json()`; the API's response models are these
classes, so the JSON contract and the code cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SNIPPET = 280


class Engagement(BaseModel):
    model_config = ConfigDict(frozen=True)

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None


class Probabilities(BaseModel):
    model_config = ConfigDict(frozen=True)

    negative: float
    neutral: float
    positive: float


def snippet(text: str | None, *, collapse: bool = False, limit: int = SNIPPET) -> str:
    """The text cut to `limit` characters with an ellipsis; `collapse` folds runs of whitespace first."""
    text = " ".join((text or "").split()) if collapse else (text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PostBrief(BaseModel):
    """A post among others: who, where, when, its label and the start of its text."""

    model_config = ConfigDict(frozen=True)

    id: int
    source: str
    channel: str
    url: str | None
    title: str | None
    text: str = Field(description=f"at most {SNIPPET} characters")
    author: str | None
    published_at: str = Field(description="ISO 8601, UTC")
    label: str | None = Field(description="negative, neutral, positive; null: not scored yet")

    @classmethod
    def from_row(cls, row: Any, *, collapse: bool = False) -> PostBrief:
        return cls(id=row.id, source=row.source, channel=row.channel, url=row.url, title=row.title,
                   text=snippet(row.text, collapse=collapse), author=row.author,
                   published_at=row.published_at.isoformat(), label=row.label)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump()


class Post(BaseModel):
    """A post in full, with its score, themes and engagement; `relevance` only on a relevance-sorted page."""

    model_config = ConfigDict(frozen=True)

    id: int
    source: str
    channel: str
    url: str | None
    title: str | None
    text: str | None
    author: str | None = Field(description="public accounts by name, private people as a pseudonym")
    author_public: bool
    published_at: str = Field(description="ISO 8601, UTC")
    fetched_at: str
    lang: str | None
    label: str | None = Field(description="negative, neutral, positive; null: not scored yet")
    probabilities: Probabilities | None
    model: str | None
    themes: list[str]
    image_url: str | None
    engagement: Engagement
    author_reach: int | None
    story_id: int | None
    parent_external_id: str | None
    relevance: float | None = Field(None, description="only when sorted by relevance to `q`")

    @classmethod
    def from_row(cls, row: Any, themes: list[str], relevance: float | None = None) -> Post:
        probabilities = None
        if row.label is not None:
            probabilities = Probabilities(negative=row.negative, neutral=row.neutral, positive=row.positive)
        return cls(
            id=row.id, source=row.source, channel=row.channel, url=row.url, title=row.title, text=row.text,
            author=row.author, author_public=row.author_public, published_at=row.published_at.isoformat(),
            fetched_at=row.fetched_at.isoformat(), lang=row.lang, label=row.label, probabilities=probabilities,
            model=row.model, themes=themes, image_url=row.image_url,
            engagement=Engagement(likes=row.likes, reposts=row.reposts, replies=row.replies),
            author_reach=row.author_reach, story_id=row.story_id, parent_external_id=row.parent_external_id,
            relevance=relevance,
        )

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump()
        if self.relevance is None:
            del data["relevance"]
        return data

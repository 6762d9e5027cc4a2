"""The API's response models: DESIGN.md's JSON contracts as types, so /docs shows every answer's shape.

Posts are core's own shape (core.post); the figures name the fields every client relies on and allow the
rest (`extra="allow"`), so a figure that grows a field in core reaches clients without an API change and
a field that goes missing fails here, not in a client. Values core hands over as datetime objects are
written as `datetime.isoformat()` gives them, as the API always did.
"""
from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from core.post import Post, PostBrief

T = TypeVar("T")
# Any JSON value whose datetimes are written with isoformat() (+00:00), not pydantic's "Z".
Plain = Annotated[Any, PlainSerializer(jsonable_encoder)]


class Figures(BaseModel):
    """A JSON object whose named fields are guaranteed; further fields are passed on as core gives them."""

    model_config = ConfigDict(extra="allow")


class Items(BaseModel, Generic[T]):
    """Every list endpoint answers `{"items": [...]}`."""

    items: list[T]


class Page(Items[T], Generic[T]):
    next: str | None = Field(description="pass as `cursor` for the following page; null on the last")


class Health(BaseModel):
    status: str


class SourceHealth(Figures):
    name: str
    kind: str
    channel: str
    enabled: bool
    posts: int
    status: str
    last_run: Plain = None
    last_success: Plain = None


class PostDetail(Post):
    """A post with what /api/posts/{id} adds; a key core adds later passes through, never silently dropped."""

    model_config = ConfigDict(frozen=True, extra="allow")

    score: Plain
    corrections: list[Plain]
    story: Plain
    thread: Plain


class CorrectionRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    post_id: int
    label: str
    previous_label: str | None
    by: str
    note: str | None
    created_at: Plain


class Counts(Figures):
    """core.analytics.summary.summary: volume (posts, stories) and the mood of scored stories with its sample."""

    posts: int
    stories: int
    negative: int
    neutral: int
    positive: int
    unscored: int
    other_language: int = Field(description="posts in another language: counted apart, never in the mood")
    sample: int = Field(description="scored stories the mood rests on")
    net_sentiment: float | None
    margin: float | None = Field(description="± points (95 %) while the sample is small, else null")
    low_sample: bool = Field(description="below the minimum sample: show 'te weinig berichten', not the number")
    since: str
    until: str


class Timeline(Figures):
    buckets: list[dict[str, Any]]
    bucket: str
    by: str
    keys: list[str]
    since: str
    until: str
    timezone: str


class ThemeFigures(Figures):
    name: str
    title: str
    posts: int
    net_sentiment: float | None


class ThemeList(Items[ThemeFigures]):
    themes: list[ThemeFigures] = Field(
        deprecated=True, description="Verouderd: dezelfde lijst als `items`; verdwijnt in de volgende versie.")
    since: str
    until: str


class Issue(Figures):
    kind: str
    key: str
    title: str


class Author(Figures):
    name: str
    public: bool
    posts: int


class AuthorList(Items[Author]):
    since: str
    until: str


class Story(Figures):
    id: int
    title: str | None
    posts: int


class StoryList(Items[Story]):
    posts: int
    stories: int
    amplified: int
    since: str
    until: str


class Alert(Figures):
    id: int
    kind: str
    key: str
    status: str
    title: str


class AlertDetail(Alert):
    posts: list[PostBrief] = Field(description="the posts behind the alert that are still stored")


class NewsletterEntry(BaseModel):
    week: str
    subject: str
    built_at: str
    sent_at: str | None
    attempts: int
    last_error: str | None
    url: str


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    detail: Plain


class AuditPage(Items[AuditEntry]):
    next: int | None = Field(description="pass as `before` for the following page; null on the last")


class Crisis(BaseModel):
    crisis: dict[str, Any] | None


class ConfigEntry(Figures):
    name: str


__all__ = [
    "Alert", "AlertDetail", "AuditEntry", "AuditPage", "Author", "AuthorList", "ConfigEntry", "CorrectionRecord", "Counts",
    "Crisis", "Figures", "Health", "Issue", "Items", "NewsletterEntry", "Page", "Post", "PostBrief", "PostDetail",
    "SourceHealth", "Story", "StoryList", "ThemeFigures", "ThemeList", "Timeline",
]

"""Export any filtered set of posts as CSV or JSON lines, streamed: a million rows neither time out
nor fill memory (core.posts.iter_posts reads through a server-side cursor in batches)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from core.store.filters import PostFilter
from core.store.listing import iter_posts

from .audit import filters_detail, log
from .deps import EngineDep, Reader, read_access
from .params import Filters

router = APIRouter(prefix="/api", tags=["export"], dependencies=[Depends(read_access)])

COLUMNS = (
    "id", "published_at", "source", "channel", "url", "title", "text", "author", "author_public", "lang",
    "label", "negative", "neutral", "positive", "themes", "likes", "reposts", "replies", "story_id",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(post: dict[str, Any]) -> list[Any]:
    probabilities = post["probabilities"] or {}
    values = {
        **post,
        **post["engagement"],
        "negative": probabilities.get("negative"),
        "neutral": probabilities.get("neutral"),
        "positive": probabilities.get("positive"),
        "themes": ";".join(post["themes"]),
    }
    return [safe_cell(values[column]) for column in COLUMNS]


def _csv(engine: Engine, filters: PostFilter) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The byte-order mark makes spreadsheet programs read the file as UTF-8 (ë, é in Dutch text).
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode("utf-8")
    with engine.connect() as conn:
        for batch in iter_posts(conn, filters):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(csv_row(post) for post in batch)
            yield buffer.getvalue().encode("utf-8")


def _jsonl(engine: Engine, filters: PostFilter) -> Iterator[bytes]:
    with engine.connect() as conn:
        for batch in iter_posts(conn, filters):
            yield "".join(json.dumps(post, ensure_ascii=False) + "\n" for post in batch).encode("utf-8")


def _download(request: Request, engine: Engine, actor: str, filters: PostFilter, kind: str) -> StreamingResponse:
    with engine.connect() as conn:
        log(conn, request, actor, "export", {**filters_detail(filters), "format": kind})
    body, media_type = (_csv, "text/csv; charset=utf-8") if kind == "csv" else (_jsonl, "application/x-ndjson")
    filename = f"berichten-{date.today().isoformat()}.{kind}"
    return StreamingResponse(body(engine, filters), media_type=media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/export.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "alle berichten die aan de filters voldoen"}})
def export_csv(request: Request, filters: Filters, engine: EngineDep, actor: Reader):
    """Every post matching the filters as CSV (newest first), streamed."""
    return _download(request, engine, actor, filters, "csv")


@router.get("/export.jsonl", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "één bericht per regel"}})
def export_jsonl(request: Request, filters: Filters, engine: EngineDep, actor: Reader):
    """Every post matching the filters as JSON lines, in the shape of GET /api/posts items, streamed."""
    return _download(request, engine, actor, filters, "jsonl")

"""POST /api/ingest: posts from other tools as JSON lines, through the same ingest policy as a crawl.

The shape of a line, the per-line checks and the storing live in core.ingest.imports (shared with
`newsroom import`); the request's size is capped by the RequestLimits middleware (NEWSROOM_MAX_REQUEST_BYTES).
"""
from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException
from fastapi.concurrency import run_in_threadpool

from core.ingest.imports import ImportResult, import_posts, json_lines

from .deps import Config, EngineDep, SettingsDep, Writer

router = APIRouter(prefix="/api", tags=["ingest"])

EXAMPLE = ('{"source": "stadforum", "external_id": "t-981", "url": "https://forum.example.nl/t/981", '
           '"text": "De kliko is weer niet geleegd in Paddepoel", "author": "jan_p", '
           '"published_at": "2026-11-20T08:00:00+01:00", "engagement": {"likes": 4, "replies": 2}}')


@router.post("/ingest", response_model=ImportResult)
async def ingest(
    engine: EngineDep, config: Config, settings: SettingsDep, actor: Writer,
    body: bytes = Body(..., media_type="application/x-ndjson", description="één bericht per regel (JSON lines)",
                       examples=[EXAMPLE]),
) -> ImportResult:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"De inhoud is geen geldige UTF-8 (byte {exc.start}).") from None
    return await run_in_threadpool(import_posts, engine, config, settings, json_lines(text), actor=actor, via="api")

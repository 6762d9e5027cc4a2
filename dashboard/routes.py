"""The wall: one page for the screens in the webcare team's room (1920×1080 and 3840×2160).

The server renders the page with the current wall state embedded (core.wall, the same state as
/api/stream), so the screen shows data before the live stream connects; static/wall.js draws the
panels and keeps them live. Every asset is served from dashboard/static: signage players often have
no internet.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from core import vocabulary
from core.analytics.wall import wall_state

HERE = Path(__file__).resolve().parent
PAGES = {"overzicht": "Overzicht", "week": "Afgelopen week", "themas": "Thema's en signalen"}

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(tags=["wall"])


@router.get("/wall", response_class=HTMLResponse, summary="De wall voor het scherm van het webcareteam")
def wall_page(
    request: Request,
    rotate: int | None = Query(None, ge=5, le=3600, description="wissel elke zoveel seconden van pagina"),
    page: Literal["overzicht", "week", "themas"] | None = Query(None, description="toon alleen deze pagina"),
):
    # The application keeps settings, config and engine on app.state (newsroom.app.create_app).
    app = request.app.state
    with app.engine.connect() as conn:
        state = wall_state(conn, app.config, tz=app.settings.timezone)
    return templates.TemplateResponse(
        request,
        "wall/wall.html",
        {"state": state, "pages": PAGES, "rotate": rotate, "page": page, "vocabulary": vocabulary},
        headers={"Cache-Control": "no-store"},
    )


def mount(app: FastAPI, dependencies: Sequence = ()) -> None:
    """Serve the wall page (behind `dependencies`, e.g. the read-access check) and its static files."""
    app.include_router(router, dependencies=list(dependencies))
    app.mount("/wall/static", StaticFiles(directory=HERE / "static"), name="wall-static")

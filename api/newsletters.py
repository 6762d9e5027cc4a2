"""The newsletter archive: the list of weeks (JSON) and each week's newsletter as the web page it was mailed as.

The stored HTML is complete on its own (the chart is a data: image inside it), so the archive serves
exactly what was built and mailed, even after the posts behind it have passed their retention.
"""
from __future__ import annotations

from pathlib import Path as FilePath

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from core.store import newsletters as store

from .deps import Conn, read_access
from .models import Items, NewsletterEntry

router = APIRouter(tags=["newsletters"], dependencies=[Depends(read_access)])
templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")

WEEK = r"^\d{4}-W\d{2}$"
# No scripts, no frames, no forms: the page is mail markup with crawled text in it. Images may come
# from the posts' own sites (as in the mail); the chart is a data: image.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/api/newsletters", response_model=Items[NewsletterEntry])
def newsletters_list(conn: Conn):
    """Every stored week, newest first, with when it was built and sent."""
    return {"items": store.archive(conn)}


@router.get("/newsletters/{week}", response_class=HTMLResponse)
def newsletter_page(request: Request, conn: Conn, week: str = Path(pattern=WEEK, description="ISO-week, bv. 2026-W47")):
    html = store.html(conn, week)
    if html is None:
        # A page, not JSON: people open these links from the mail and the workspace.
        return templates.TemplateResponse(request, "newsletter_missing.html", {"week": week}, status_code=404,
                                          headers=PAGE_HEADERS)
    return HTMLResponse(html, headers=PAGE_HEADERS)

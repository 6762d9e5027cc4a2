"""The newsletter archive: the list of weeks (JSON) and each week's newsletter as the web page it was mailed as.

The stored HTML is complete on its own (the chart is a data: image inside it), so the archive serves
exactly what was built and mailed, even after the posts behind it have passed their retention.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, select

from core.store.schema import newsletters

from .deps import get_conn, read_access

router = APIRouter(tags=["newsletters"], dependencies=[Depends(read_access)])

WEEK = r"^\d{4}-W\d{2}$"
# No scripts, no frames, no forms: the page is mail markup with crawled text in it. Images may come
# from the posts' own sites (as in the mail); the chart is a data: image.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/api/newsletters")
def newsletters_list(conn: Connection = Depends(get_conn)):
    """Every stored week, newest first, with when it was built and sent."""
    rows = conn.execute(
        select(newsletters.c.week, newsletters.c.subject, newsletters.c.built_at, newsletters.c.sent_at,
               newsletters.c.attempts, newsletters.c.last_error)
        .order_by(newsletters.c.week.desc())
    )
    return {
        "items": [
            {
                "week": row.week,
                "subject": row.subject,
                "built_at": row.built_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "url": f"/newsletters/{row.week}",
            }
            for row in rows
        ]
    }


@router.get("/newsletters/{week}", response_class=HTMLResponse)
def newsletter_page(week: str = Path(pattern=WEEK, description="ISO-week, bv. 2026-W47"),
                    conn: Connection = Depends(get_conn)):
    html = conn.execute(select(newsletters.c.html).where(newsletters.c.week == week)).scalar()
    if html is None:
        raise HTTPException(404, f"Geen nieuwsbrief voor week {week}.")
    return HTMLResponse(html, headers=PAGE_HEADERS)

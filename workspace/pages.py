"""The pages the webcare team and the advisers work in: Overzicht, Berichten (search, CSV export,
saved searches), one Bericht (correct its label, mark it handled), Signalen and one Thema.

Routes are thin: they read the store through core and hand plain dicts to the templates. Every change
and every export lands in the audit log with the account's name.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated, Any, Iterator
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from core.analytics.emerging import list_alerts
from core.analytics.stories import top_stories
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.analytics.wall import get_crisis, source_problems
from core.store import audit
from core.store import scores as score_store
from core.store import workspace as store
from core.store.alerts import AlertNotFound, BadTransition, get_alert, set_status
from core.store.filters import PostFilter
from core.store.listing import BadCursor, iter_posts, list_posts, post_detail
from core.store.sources import source_names
from core.vocabulary import LABELS

from .auth import Adviseur, Webcare, client, may
from .filters import PERIODS, SORTS, highlight, read_search
from .overview import overview_figures
from .web import not_found, render

router = APIRouter(tags=["werkruimte"], include_in_schema=False)

ID_MAX = 2**31 - 1
PAGE = 50
# Counting stops here ("meer dan 1000"): an exact count of a broad search on a million posts costs more
# than the page itself.
COUNT_CAP = 1000
STATUSES = {"open": "open", "acknowledged": "in behandeling", "resolved": "afgehandeld"}
NOTE = Annotated[str, Form(max_length=2000)]


def _conn(request: Request):
    return request.app.state.engine.connect()


def _begin(request: Request):
    return request.app.state.engine.begin()


def safe_link(url: str | None) -> str | None:
    """Only http(s) links to the original: a post's `javascript:` URL must never become a link."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def _wall_changed(request: Request) -> None:
    """The wall of this process looks at the store again now, not at its next poll (api.stream)."""
    states = getattr(request.app.state, "wall_states", None)
    if states is not None:
        states.expire()


def _back(path: str, **params: str) -> RedirectResponse:
    return RedirectResponse(path + ("?" + urlencode(params) if params else ""), status_code=303)


@router.get("/")
def overview(request: Request, account: Webcare):
    app = request.app.state
    with _conn(request) as conn:
        # Mood and themes: the costly part, kept a minute at most (workspace/overview.py); the rest is live.
        figures = overview_figures(app).get(conn, app.config.themes)
        open_alerts = list_alerts(conn, status="open", limit=10)
        # Index lookups only (as the wall): /bronnen has the full health, which counts every post.
        sources = source_problems(conn)
        newest = list_posts(conn, PostFilter(), limit=10)["items"]
    return render(request, "overview.html", {
        "title": "Overzicht", "mood": figures["mood"], "figures_at": figures["at"], "alerts": open_alerts,
        "themes": figures["themes"][:8], "sources": sources, "newest": newest, "safe_link": safe_link,
    })


@router.get("/berichten")
def post_list(request: Request, account: Webcare, na: str | None = None):
    app = request.app.state
    search = read_search(dict(request.query_params), app.settings.timezone)
    page: dict[str, Any] = {"items": [], "next": None}
    count, more = 0, False
    with _conn(request) as conn:
        try:
            page = list_posts(conn, search.filters, limit=PAGE, cursor=na, sort=search.sort)
        except BadCursor:
            search.errors.append("De paginering klopt niet meer; u ziet de eerste pagina.")
            page = list_posts(conn, search.filters, limit=PAGE, sort=search.sort)
        count, more = store.count_posts(conn, search.filters, cap=COUNT_CAP)
        shared = store.story_sizes(conn, [p["story_id"] for p in page["items"]])
        saved = store.searches(conn, account["id"]) if may(account, "adviseur") else []
        names = sorted(source_names(conn))
    if search.filters.q:
        with _begin(request) as conn:
            audit.record(conn, account["name"], "search", {"params": search.params, "client": client(request)})
    return render(request, "posts.html", {
        "title": "Berichten", "search": search, "params": search.params, "page": page, "count": count,
        "more": more, "shared": shared, "saved": saved, "highlight": highlight, "periods": PERIODS,
        "sorts": SORTS, "themes": app.config.themes, "source_names": names, "safe_link": safe_link,
        "cursor": na,
    })


CSV_COLUMNS = ["id", "published_at", "source", "channel", "author", "title", "text", "url", "label", "negative",
               "neutral", "positive", "themes"]


def _cell(value: Any) -> Any:
    """A spreadsheet must not run post text as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(engine, filters: PostFilter) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with engine.connect() as conn:
        for batch in iter_posts(conn, filters):
            for post in batch:
                p = post["probabilities"] or {}
                writer.writerow([_cell(v) for v in (
                    post["id"], post["published_at"], post["source"], post["channel"], post["author"],
                    post["title"], post["text"], post["url"], post["label"], p.get("negative"),
                    p.get("neutral"), p.get("positive"), ";".join(post["themes"]))])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


@router.get("/berichten/export.csv")
def post_export(request: Request, account: Adviseur):
    search = read_search(dict(request.query_params), request.app.state.settings.timezone)
    with _begin(request) as conn:
        audit.record(conn, account["name"], "export", {"format": "csv", "params": search.params,
                                                         "client": client(request)})
    return StreamingResponse(_csv(request.app.state.engine, search.filters), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="berichten.csv"'})


@router.post("/berichten/zoekopdrachten")
def save_search(request: Request, account: Adviseur, naam: Annotated[str, Form(max_length=100)] = "",
                zoekopdracht: Annotated[str, Form(max_length=2000)] = ""):
    query = zoekopdracht.lstrip("?")
    if not naam.strip():
        return _back("/berichten?" + query if query else "/berichten", melding="Geef de zoekopdracht een naam.")
    with _begin(request) as conn:
        store.save_search(conn, account["id"], naam, query)
        audit.record(conn, account["name"], "saved_search", {"name": naam.strip(), "query": query})
    return RedirectResponse("/berichten?" + query, status_code=303)


@router.post("/berichten/zoekopdrachten/{search_id}/verwijderen")
def delete_search(request: Request, account: Adviseur, search_id: int = Path(ge=1, le=ID_MAX)):
    with _begin(request) as conn:
        if store.delete_search(conn, account["id"], search_id):
            audit.record(conn, account["name"], "saved_search.delete", {"id": search_id})
    return RedirectResponse("/berichten", status_code=303)


def _post_page(request: Request, post_id: int, *, error: str | None = None, status_code: int = 200):
    with _conn(request) as conn:
        post = post_detail(conn, post_id)
        if post is None:
            return not_found(request, "Dit bericht")
        handled = store.handling(conn, post_id)
    return render(request, "post.html", {
        "title": post["title"] or f"Bericht {post_id}", "post": post, "handled": handled, "labels": LABELS,
        "safe_link": safe_link, "error": error, "message": request.query_params.get("melding"),
    }, status_code=status_code)


@router.get("/berichten/{post_id}")
def post_view(request: Request, account: Webcare, post_id: int = Path(ge=1, le=ID_MAX)):
    return _post_page(request, post_id)


@router.post("/berichten/{post_id}/label")
def correct_label(request: Request, account: Webcare, post_id: int = Path(ge=1, le=ID_MAX),
                  label: Annotated[str, Form(max_length=20)] = "", toelichting: NOTE = ""):
    if label not in LABELS:
        return _post_page(request, post_id, error="Kies negatief, neutraal of positief.", status_code=422)
    with _begin(request) as conn:
        try:
            row = score_store.add_correction(conn, post_id, label, by=account["name"], note=toelichting.strip() or None)
        except LookupError:
            return not_found(request, "Dit bericht")
        audit.record(conn, account["name"], "label_correction",
                     {"post_id": post_id, "label": row["label"], "previous_label": row["previous_label"],
                      "client": client(request)})
    _wall_changed(request)
    return _back(f"/berichten/{post_id}", melding="Het label is aangepast.")


@router.post("/berichten/{post_id}/afgehandeld")
def mark_handled(request: Request, account: Webcare, post_id: int = Path(ge=1, le=ID_MAX),
                 toelichting: NOTE = "", ongedaan: Annotated[str, Form(max_length=5)] = ""):
    with _begin(request) as conn:
        try:
            if ongedaan:
                store.unmark_handled(conn, post_id)
            else:
                store.mark_handled(conn, post_id, by=account["name"], note=toelichting)
        except LookupError:
            return not_found(request, "Dit bericht")
        audit.record(conn, account["name"], "post.unhandled" if ongedaan else "post.handled",
                     {"post_id": post_id, "note": toelichting.strip() or None, "client": client(request)})
    return _back(f"/berichten/{post_id}", melding="Niet meer afgehandeld." if ongedaan else "Gemarkeerd als afgehandeld.")


@router.get("/signalen")
def alert_list(request: Request, account: Webcare, status: str = "open"):
    if status not in STATUSES:
        status = "open"
    with _conn(request) as conn:
        items = list_alerts(conn, status=status, limit=200)
    return render(request, "alerts.html", {"title": "Signalen", "alerts": items, "status": status,
                                           "statuses": STATUSES})


def _alert_page(request: Request, alert_id: int, *, error: str | None = None, status_code: int = 200):
    app = request.app.state
    with _conn(request) as conn:
        try:
            alert = get_alert(conn, alert_id)
        except AlertNotFound:
            return not_found(request, "Dit signaal")
        trend = None
        if alert["kind"] == "theme":
            trend = timeline(conn, PostFilter(theme=alert["key"]), window=timedelta(days=2), bucket="hour",
                             tz=app.settings.timezone)
    return render(request, "alert.html", {
        "title": alert["title"], "alert": alert, "statuses": STATUSES, "trend": trend, "error": error,
        "page_link": safe_link(alert["page"]), "message": request.query_params.get("melding"),
    }, status_code=status_code)


@router.get("/signalen/{alert_id}")
def alert_view(request: Request, account: Webcare, alert_id: int = Path(ge=1, le=ID_MAX)):
    return _alert_page(request, alert_id)


@router.post("/signalen/{alert_id}/status")
def alert_status(request: Request, account: Webcare, alert_id: int = Path(ge=1, le=ID_MAX),
                 status: Annotated[str, Form(max_length=20)] = "", toelichting: NOTE = ""):
    if status not in ("acknowledged", "resolved"):
        return _alert_page(request, alert_id, error="Kies 'in behandeling nemen' of 'afhandelen'.", status_code=422)
    note = toelichting.strip() or None
    with _begin(request) as conn:
        try:
            _, changed = set_status(conn, alert_id, status, actor=account["name"], note=note)
        except AlertNotFound:
            return not_found(request, "Dit signaal")
        except BadTransition as exc:
            conn.rollback()
            return _alert_page(request, alert_id, error=str(exc), status_code=409)
        if changed:
            audit.record(conn, account["name"], f"alert.{status}",
                         {"alert_id": alert_id, "note": note, "client": client(request)})
    _wall_changed(request)
    return _back(f"/signalen/{alert_id}", melding=f"Het signaal is {STATUSES[status]}.")


@router.get("/themas/{naam}")
def theme_view(request: Request, account: Webcare, naam: str = Path(max_length=100)):
    app = request.app.state
    theme = next((t for t in app.config.themes if t.name == naam), None)
    if theme is None:
        return not_found(request, f"Het thema '{naam}'")
    scope = PostFilter(theme=naam)
    with _conn(request) as conn:
        stats = next((t for t in theme_stats(conn, [theme], window=timedelta(days=7))["themes"]), None)
        days = timeline(conn, scope, window=timedelta(days=14), bucket="day", tz=app.settings.timezone)
        stories = top_stories(conn, scope, window=timedelta(days=7), limit=5)["items"]
        newest = list_posts(conn, scope, limit=15)["items"]
        issues = [a for a in list_alerts(conn, status="open", kind="theme", limit=50) if a["key"] == naam]
        crisis = get_crisis(conn)
    peak = max((sum(b["counts"].values()) for b in days["buckets"]), default=0)
    return render(request, "theme.html", {
        "title": f"Thema {theme.label or theme.name}", "theme": theme, "stats": stats, "days": days,
        "peak": peak, "stories": stories, "newest": newest, "issues": issues, "safe_link": safe_link,
        "crisis": crisis if crisis and crisis.get("theme") == naam else None,
    })

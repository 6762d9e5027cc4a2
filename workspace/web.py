"""What every workspace page shares: the templates with their helpers, the static files, rendering
with the signed-in account and its CSRF token, and the Dutch error pages."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from core import vocabulary

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# The NL Design System's CSS (npm, copied here by setup.sh; git-ignored). Without it the pages use
# workspace.css alone: plainer, still complete.
NLDS = STATIC / "nlds"

templates = Jinja2Templates(directory=HERE / "templates")


class LoginRequired(Exception):
    """No (valid) session: the user is sent to the login page and back."""


class Forbidden(Exception):
    """Signed in, but the role may not do this."""


def local_time(request: Request, value: datetime | str | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(request.app.state.settings.timezone)).strftime(fmt)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def signed(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"+{value:g}" if value > 0 else f"{value:g}"


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string of `params` with `changes`; empty values left out."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


# No scripts at all; styles and images from here (a post's image or the newsletter preview's may be
# elsewhere); forms post only here; no framing of these pages (clickjacking of the forms).
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: https: http:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

templates.env.filters["percent"] = percent
templates.env.filters["signed"] = signed
templates.env.globals.update(vocabulary=vocabulary, query=query, local_time=local_time)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    account = getattr(request.state, "account", None)
    return templates.TemplateResponse(
        request, template,
        {"account": account, "csrf": account["csrf"] if account else "",
         "nlds": request.app.state.workspace_nlds, **context},
        status_code=status_code,
        headers=HEADERS,
    )


def install(app: FastAPI) -> None:
    app.state.workspace_nlds = (NLDS / "index.css").exists()
    app.mount("/werkruimte/static", StaticFiles(directory=STATIC), name="workspace-static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/inloggen?" + urlencode({"volgende": target}), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return render(request, "error.html", {"title": "Geen toegang", "message": str(exc)}, status_code=403)


def not_found(request: Request, what: str) -> HTMLResponse:
    return render(request, "error.html", {"title": "Niet gevonden", "message": f"{what} bestaat niet (meer)."},
                  status_code=404)

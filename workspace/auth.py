"""Signing in and out, who is signed in, what each role may, and CSRF on every form.

A session is server-side (core.store.accounts): the cookie holds a random key (HttpOnly,
SameSite=Lax so links from the alert e-mail open signed in, Secure when served over TLS). Each
session has a CSRF token that every form sends back (`csrf_token`) and every POST checks; the login
form, before there is a session, uses a double-submit cookie. Failed logins land in the audit log
and more than LOGIN_ATTEMPTS of them for one name within LOGIN_WINDOW lock that name for a while.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from core.store import accounts, audit
from core.store.schema import utcnow
from core.vocabulary import ROLES

from .web import Forbidden, LoginRequired, render

router = APIRouter(tags=["werkruimte"], include_in_schema=False)

COOKIE = "newsroom_sessie"
LOGIN_COOKIE = "newsroom_inlogtoken"
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = timedelta(minutes=15)


def client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def current_account(request: Request) -> dict[str, Any] | None:
    """The signed-in account (with the session's "csrf"), or None; looked up once per request."""
    if not hasattr(request.state, "account"):
        key = request.cookies.get(COOKIE, "")
        account = None
        if key:
            with request.app.state.engine.connect() as conn:
                account = accounts.session_account(conn, key)
        request.state.account = account
    return request.state.account


def may(account: dict[str, Any] | None, role: str) -> bool:
    """Roles are ranked: adviseur may all webcare may, beheer all an adviseur may."""
    return account is not None and ROLES.index(account["role"]) >= ROLES.index(role)


async def _csrf_ok(request: Request, account: dict[str, Any]) -> bool:
    given = request.headers.get("x-csrf-token", "")
    if not given:
        form = await request.form()
        value = form.get("csrf_token", "")
        given = value if isinstance(value, str) else ""
    return bool(given) and hmac.compare_digest(given.encode(), account["csrf"].encode())


def allowed(role: str):
    """A dependency: the signed-in account when it has at least `role`; for a POST also a valid CSRF token."""

    async def check(request: Request) -> dict[str, Any]:
        account = current_account(request)
        if account is None:
            if request.method != "GET":
                raise Forbidden("Uw sessie is verlopen; log opnieuw in en probeer het nog eens.")
            raise LoginRequired()
        if not may(account, role):
            raise Forbidden(f"Deze pagina is voor de rol {role} en hoger; u bent aangemeld als {account['role']}.")
        if request.method != "GET" and not await _csrf_ok(request, account):
            raise Forbidden("Het formulier is verlopen of niet door deze site verstuurd (CSRF-controle); "
                            "laad de pagina opnieuw en probeer het nog eens.")
        return account

    return check


Webcare = Annotated[dict, Depends(allowed("webcare"))]
Adviseur = Annotated[dict, Depends(allowed("adviseur"))]
Beheer = Annotated[dict, Depends(allowed("beheer"))]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, *, error: str | None = None, name: str = "", target: str = "/",
                status_code: int = 200):
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", {
        "title": "Inloggen", "error": error, "name": name, "target": _safe_next(target), "login_token": token,
        "notice": request.app.state.settings.login_notice,
    }, status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/inloggen")
    return response


@router.get("/inloggen")
def login_form(request: Request, volgende: str | None = None):
    if current_account(request) is not None:
        return RedirectResponse(_safe_next(volgende), status_code=303)
    return _login_page(request, target=volgende or "/")


@router.post("/inloggen")
def login(request: Request, naam: Annotated[str, Form(max_length=100)] = "",
          wachtwoord: Annotated[str, Form(max_length=1000)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "",
          volgende: Annotated[str, Form(max_length=2000)] = "/"):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(request, error="Het formulier was verlopen; probeer het opnieuw.", name=naam,
                           target=volgende, status_code=403)
    name = naam.strip().lower()
    engine = request.app.state.engine
    with engine.begin() as conn:
        if accounts.recent_failures(conn, name, utcnow() - LOGIN_WINDOW) >= LOGIN_ATTEMPTS:
            audit.record(conn, name or "?", "login.refused", {"client": client(request)})
            minutes = int(LOGIN_WINDOW.total_seconds() // 60)
            return _login_page(request, error=f"Te veel mislukte pogingen voor dit account; probeer het over "
                                              f"{minutes} minuten opnieuw.", name=naam, target=volgende, status_code=429)
        account = accounts.authenticate(conn, name, wachtwoord)
        if account is None:
            audit.record(conn, name or "?", "login.failed", {"client": client(request)})
            return _login_page(request, error="Onbekende naam of onjuist wachtwoord.", name=naam, target=volgende,
                               status_code=401)
        lifetime = timedelta(hours=request.app.state.settings.session_hours)
        key = accounts.start_session(conn, account["id"], lifetime)
        audit.record(conn, account["name"], "login", {"client": client(request)})
    response = RedirectResponse(_safe_next(volgende), status_code=303)
    response.set_cookie(COOKIE, key, max_age=int(lifetime.total_seconds()), httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/inloggen")
    return response


@router.post("/uitloggen")
def logout(request: Request, account: Webcare):
    with request.app.state.engine.begin() as conn:
        accounts.end_session(conn, request.cookies.get(COOKIE, ""))
        audit.record(conn, account["name"], "logout", {"client": client(request)})
    response = RedirectResponse("/inloggen", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/uitloggen")
def logout_form(request: Request, account: Webcare):
    """A link can't sign out (that would be a CSRF hole); this page has the button."""
    return render(request, "logout.html", {"title": "Uitloggen"})

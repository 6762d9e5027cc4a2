"""Signing in and out, who is signed in, what each role may, and CSRF on every form.

A session is server-side (core.store.accounts): the cookie holds a random key (HttpOnly,
SameSite=Lax so links from the alert e-mail open signed in, Secure when served over TLS). Each
session has a CSRF token that every form sends back (`csrf_token`) and every POST checks; the login
form, before there is a session, uses a double-submit cookie.

Failed logins land in the audit log, with the client's address, and are limited within LOGIN_WINDOW
per client address (CLIENT_ATTEMPTS, whatever names it tries: guessing across accounts) and per name
from one address (LOGIN_ATTEMPTS). A name is never locked for everyone by failures from other
addresses: that would let anyone lock a colleague out by typing their name. Instead, once a name has
SOFT_DELAY_AFTER failures from anywhere, every attempt for it waits a little first (doubling, at most
MAX_DELAY seconds; asynchronously, so waiting holds no worker thread). The client address is the
connection's peer as the server reports it: behind a reverse proxy, let uvicorn take it from
X-Forwarded-For (its --forwarded-allow-ips names the proxies to trust). An IPv6 client counts per /64,
the block one subscriber is usually given. Single sign-on (OpenID Connect) is workspace/oidc.py.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from core.store import accounts, audit
from core.store.schema import utcnow
from core.vocabulary import ROLES

from .web import Forbidden, LoginRequired, render

router = APIRouter(tags=["werkruimte"], include_in_schema=False)

COOKIE = "newsroom_sessie"
LOGIN_COOKIE = "newsroom_inlogtoken"
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_ATTEMPTS = 5  # failures for one name from one client address
CLIENT_ATTEMPTS = 20  # failures from one client address, all names together
SOFT_DELAY_AFTER = 5  # failures for one name from all addresses before its attempts are slowed down
MAX_DELAY = 8.0


def client(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_net(address: str | None) -> str:
    """What the per-client limits count by: an IPv4 address, or an IPv6 address's /64."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def soft_delay(failures: int) -> float:
    """Seconds an attempt for a name waits, given its failures from all addresses in the window."""
    if failures < SOFT_DELAY_AFTER:
        return 0.0
    return min(MAX_DELAY, 0.5 * 2 ** (failures - SOFT_DELAY_AFTER))


def secure(request: Request) -> bool:
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


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_page(request: Request, *, error: str | None = None, name: str = "", target: str = "/",
               status_code: int = 200, message: str | None = None):
    settings = request.app.state.settings
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", {
        "title": "Inloggen", "error": error, "name": name, "target": safe_next(target), "login_token": token,
        "notice": settings.login_notice, "message": message,
        # "Inloggen met <provider>" when single sign-on is configured (workspace.oidc).
        "sso": (settings.oidc_provider_name.strip() or "single sign-on") if settings.oidc_issuer.strip() else None,
    }, status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure(request),
                        path="/inloggen")
    return response


def signed_in(request: Request, key: str, lifetime: timedelta, target: str) -> RedirectResponse:
    """The answer to a successful sign-in (password or single sign-on): the session cookie, and on to `target`."""
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(COOKIE, key, max_age=int(lifetime.total_seconds()), httponly=True, samesite="lax",
                        secure=secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/inloggen")
    return response


@router.get("/inloggen")
def login_form(request: Request, volgende: str | None = None):
    if current_account(request) is not None:
        return RedirectResponse(safe_next(volgende), status_code=303)
    return login_page(request, target=volgende or "/")


def address_refused(conn, net: str) -> str | None:
    """Why every login from this client net (client_net) is refused now, or None: too many failures from
    it within LOGIN_WINDOW. The password form and the start of a single sign-on (workspace.oidc) ask."""
    if accounts.recent_failures(conn, None, utcnow() - LOGIN_WINDOW, client=net) >= CLIENT_ATTEMPTS:
        minutes = int(LOGIN_WINDOW.total_seconds() // 60)
        return f"Te veel mislukte pogingen vanaf dit adres; probeer het over {minutes} minuten opnieuw."
    return None


def _limit(conn, name: str, net: str) -> tuple[str | None, float]:
    """(why this attempt is refused or None, seconds it waits first)."""
    since = utcnow() - LOGIN_WINDOW
    minutes = int(LOGIN_WINDOW.total_seconds() // 60)
    if refused := address_refused(conn, net):
        return refused, 0.0
    if accounts.recent_failures(conn, name, since, client=net) >= LOGIN_ATTEMPTS:
        return (f"Te veel mislukte pogingen voor dit account vanaf dit adres; probeer het over {minutes} minuten "
                f"opnieuw.", 0.0)
    return None, soft_delay(accounts.recent_failures(conn, name, since))


def _check_limits(request: Request, name: str) -> tuple[str | None, float]:
    address = client(request)
    with request.app.state.engine.begin() as conn:
        refused, delay = _limit(conn, name, client_net(address))
        if refused:
            audit.record(conn, name or "?", "login.refused", {"client": address})
    return refused, delay


def _sign_in(request: Request, name: str, password: str) -> tuple[str, timedelta] | None:
    """(session key, lifetime) when the password is right; the attempt is in the audit log either way."""
    address = client(request)
    with request.app.state.engine.begin() as conn:
        account = accounts.authenticate(conn, name, password)
        if account is None:
            audit.record(conn, name or "?", "login.failed", {"client": address, "net": client_net(address)})
            return None
        lifetime = timedelta(hours=request.app.state.settings.session_hours)
        key = accounts.start_session(conn, account["id"], lifetime)
        audit.record(conn, account["name"], "login", {"client": address})
    return key, lifetime


@router.post("/inloggen")
async def login(request: Request, naam: Annotated[str, Form(max_length=100)] = "",
                wachtwoord: Annotated[str, Form(max_length=1000)] = "",
                csrf_token: Annotated[str, Form(max_length=200)] = "",
                volgende: Annotated[str, Form(max_length=2000)] = "/"):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return login_page(request, error="Het formulier was verlopen; probeer het opnieuw.", name=naam,
                          target=volgende, status_code=403)
    name = naam.strip().lower()
    refused, delay = await run_in_threadpool(_check_limits, request, name)
    if refused:
        return login_page(request, error=refused, name=naam, target=volgende, status_code=429)
    if delay:
        await asyncio.sleep(delay)
    session = await run_in_threadpool(_sign_in, request, name, wachtwoord)
    if session is None:
        return login_page(request, error="Onbekende naam of onjuist wachtwoord.", name=naam, target=volgende,
                          status_code=401)
    return signed_in(request, *session, volgende)


@router.post("/uitloggen")
def logout(request: Request, account: Webcare):
    with request.app.state.engine.begin() as conn:
        id_token = accounts.end_session(conn, request.cookies.get(COOKIE, ""))
        audit.record(conn, account["name"], "logout", {"client": client(request)})
    # A single sign-on session: the provider's session ends too, when the provider offers that
    # (workspace.oidc installs provider_logout; it imports this module, so not the other way round).
    provider_logout = getattr(request.app.state, "provider_logout", None)
    response = (provider_logout(request, id_token) if id_token and provider_logout else None) or RedirectResponse(
        "/inloggen", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/uitloggen")
def logout_form(request: Request, account: Webcare):
    """A link can't sign out (that would be a CSRF hole); this page has the button."""
    return render(request, "logout.html", {"title": "Uitloggen"})

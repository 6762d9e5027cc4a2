"""Single sign-on for organisations with an OpenID Connect provider (Keycloak, Microsoft Entra ID,
AD FS, …): the authorization-code flow with PKCE, state and nonce, through Authlib's httpx client.

The provider's addresses and keys come from its discovery document (`<issuer>/.well-known/
openid-configuration`), fetched when first needed and kept an hour. A sign-on under way is kept
server-side (core.store.sso; the browser holds only its state, in a cookie), so it ends in any web
process and counts once. The ID token is checked with joserfc: its signature against the provider's
published keys (an asymmetric algorithm the provider lists; never "none" or a shared-secret one), and
iss, aud (and azp), exp, iat, sub and the nonce. Who it is then opens an account (core.store.accounts.
sso_account: bound to the provider's subject, pre-created or created with a default role, never a
disabled one); the sign-on is in the audit log. Signing out of a single sign-on session ends the
provider's session too when it offers RP-initiated logout (its end_session_endpoint): the ID token,
kept with our session in the store, is the hint. Settings: OIDC_* (docs/oidc.md).
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import httpx2
from authlib.common.security import is_secure_transport
from authlib.common.urls import add_params_to_uri
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.discovery import OpenIDProviderMetadata
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from core.config.settings import Settings, SettingsError
from core.store import accounts, audit, sso
from core.vocabulary import ROLES

from . import auth

log = logging.getLogger(__name__)
router = APIRouter(tags=["werkruimte"], include_in_schema=False)

SSO_COOKIE = "newsroom_sso"
LOGOUT_COOKIE = "newsroom_sso_uit"
PENDING = timedelta(minutes=10)
# Sign-ons under way at once: from one client address (an IPv6 /64), as many as the password form
# allows failures from one; from everyone together, far more than a city's staff start in PENDING.
# Unfinished ones count until they expire, so nobody can fill the table (core.store.sso).
CLIENT_PENDING = auth.CLIENT_ATTEMPTS
ALL_PENDING = 5000
DISCOVERY_SECONDS = 3600
TIMEOUT = 10.0
# Clock skew allowed between the provider and us when checking exp and iat.
LEEWAY = 120
# Signatures with the provider's published public keys only: "none" and the HMAC (client-secret)
# algorithms are never accepted, whatever the token's header says.
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}


class SSOError(Exception):
    """A sign-on that cannot go on: `message` for the user (Dutch), `reason` for the audit log."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class OIDCSettingsError(SettingsError):
    """OIDC_* settings that cannot work; checked when the app starts."""


@dataclass(frozen=True)
class Options:
    """The OIDC_* settings, checked."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    name: str
    name_claim: str
    role_claim: str
    role_map: dict[str, str]
    create_role: str | None
    redirect_uri: str
    post_logout_redirect_uri: str


def options(settings: Settings) -> Options | None:
    """The single sign-on the settings describe, or None when OIDC_ISSUER is empty."""
    issuer = settings.oidc_issuer.strip()
    if not issuer:
        return None
    if not is_secure_transport(issuer):
        raise OIDCSettingsError("NEWSROOM_OIDC_ISSUER moet een https-adres zijn (alleen op 127.0.0.1 mag http) "
                                "(the issuer must be an https URL).")
    if not settings.oidc_client_id.strip():
        raise OIDCSettingsError("NEWSROOM_OIDC_CLIENT_ID ontbreekt: de client-id die de aanmeldservice deze "
                                "app gaf (the client id is missing).")
    scopes = settings.oidc_scopes.split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    role_map: dict[str, str] = {}
    for number, entry in enumerate((e.strip() for e in settings.oidc_role_map.split(",") if e.strip()), 1):
        value, _, role = entry.rpartition(":")
        if not value.strip() or role.strip() not in ROLES:
            raise OIDCSettingsError(f"NEWSROOM_OIDC_ROLE_MAP: regel {number} is geen waarde:rol met een rol uit "
                                    f"{', '.join(ROLES)} (entry {number} is not value:role).")
        role_map[value.strip()] = role.strip()
    return Options(issuer=issuer, client_id=settings.oidc_client_id.strip(),
                   client_secret=settings.oidc_client_secret.strip(), scopes=" ".join(scopes),
                   name=settings.oidc_provider_name.strip() or "single sign-on",
                   name_claim=settings.oidc_name_claim.strip() or "preferred_username",
                   role_claim=settings.oidc_role_claim.strip(), role_map=role_map,
                   create_role=settings.oidc_default_role if settings.oidc_create_accounts else None,
                   redirect_uri=settings.oidc_redirect_uri.strip(),
                   post_logout_redirect_uri=settings.oidc_post_logout_redirect_uri.strip())


@dataclass
class Provider:
    """The provider's discovery document and keys, fetched once an hour (the keys sooner when a
    token names a key we do not have yet: the provider rolled its keys)."""

    issuer: str
    metadata: dict[str, Any] = field(default_factory=dict)
    keys: KeySet | None = None
    fetched: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, url: str) -> dict[str, Any]:
        with httpx2.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        if not isinstance(data, dict):
            raise ValueError(f"{url} gaf geen JSON-object")
        return data

    def load(self, *, refresh_keys: bool = False) -> None:
        with self.lock:
            if time.monotonic() - self.fetched > DISCOVERY_SECONDS or not self.metadata:
                metadata = OpenIDProviderMetadata(self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration"))
                # What this flow relies on, checked (https endpoints, RS256 among the algorithms); the
                # optional fields are left alone, so a provider's quirk there does not stop sign-ons.
                for check in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                              "response_types_supported", "id_token_signing_alg_values_supported"):
                    getattr(metadata, f"validate_{check}")()
                # The document must be this issuer's (OpenID Connect Discovery 1.0, 4.3).
                if str(metadata["issuer"]).rstrip("/") != self.issuer.rstrip("/"):
                    raise ValueError(f"discovery names issuer {metadata['issuer']!r}, not {self.issuer!r}")
                self.metadata, self.keys, self.fetched = dict(metadata), None, time.monotonic()
            if self.keys is None or refresh_keys:
                self.keys = KeySet.import_key_set(self._get(self.metadata["jwks_uri"]))  # type: ignore[arg-type]


def _provider(request: Request, opts: Options) -> Provider:
    providers: dict[str, Provider] = request.app.state.oidc_providers
    if opts.issuer not in providers:
        providers[opts.issuer] = Provider(opts.issuer)
    provider = providers[opts.issuer]
    try:
        provider.load()
    except (httpx2.HTTPError, ValueError, KeyError, JoseError) as exc:
        log.warning("OpenID provider %s: discovery failed: %s", opts.issuer, exc)
        raise SSOError(f"De aanmeldservice ({opts.name}) is nu niet bereikbaar; probeer het later opnieuw of "
                       "log in met naam en wachtwoord.", "discovery") from exc
    return provider


def _redirect_uri(request: Request, opts: Options) -> str:
    return opts.redirect_uri or str(request.url_for("sso_callback"))


def _client(provider: Provider, opts: Options, redirect_uri: str) -> OAuth2Client:
    methods = provider.metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not opts.client_secret:
        method = "none"  # a public client: PKCE alone proves the code is ours
    elif "client_secret_basic" in methods:
        method = "client_secret_basic"
    else:
        method = "client_secret_post"
    return OAuth2Client(client_id=opts.client_id, client_secret=opts.client_secret or None,
                        token_endpoint_auth_method=method, scope=opts.scopes, redirect_uri=redirect_uri,
                        code_challenge_method="S256", timeout=TIMEOUT)


def _algorithms(provider: Provider) -> list[str]:
    listed = provider.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    allowed = [alg for alg in listed if alg in ASYMMETRIC]
    if not allowed:
        raise SSOError("De aanmeldservice ondertekent niet met een sleutelpaar; aanmelden kan zo niet.", "algorithms")
    return allowed


def verify_id_token(provider: Provider, opts: Options, id_token: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature and its iss, aud, azp, exp, iat, sub and nonce hold."""
    algorithms = _algorithms(provider)
    try:
        try:
            token = jwt.decode(id_token, provider.keys, algorithms=algorithms)
        except InvalidKeyIdError:
            provider.load(refresh_keys=True)
            token = jwt.decode(id_token, provider.keys, algorithms=algorithms)
        claims = token.claims
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": provider.metadata["issuer"]},
            aud={"essential": True, "value": opts.client_id},
            exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError, httpx2.HTTPError) as exc:
        raise SSOError("De aanmelding kon niet worden gecontroleerd (ongeldig identiteitsbewijs); probeer het "
                       "opnieuw.", f"id_token: {exc.__class__.__name__}: {exc}"[:300]) from exc
    # More than one audience: the token must have been issued to us (OpenID Connect Core 3.1.3.7).
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != opts.client_id:
        raise SSOError("De aanmelding was niet voor deze toepassing bestemd.", "id_token: azp")
    return claims


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by its name, or by a dotted path into nested claims (Keycloak's realm_access.roles);
    a full name wins, so URI-named claims (AD FS's http://schemas…/role) are found as they are."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def claimed_role(claims: dict[str, Any], opts: Options) -> str | None:
    """The highest role the role claim grants (None when no role claim is configured).
    SSOError when one is configured and grants none."""
    if not opts.role_claim:
        return None
    values = _claim(claims, opts.role_claim)
    values = [values] if isinstance(values, str) else values if isinstance(values, list) else []
    roles = [opts.role_map.get(str(v), str(v) if not opts.role_map else "") for v in values]
    granted = [role for role in roles if role in ROLES]
    if not granted:
        raise SSOError(f"Uw account bij {opts.name} heeft geen rol voor de werkruimte; vraag beheer u er een te "
                       "geven.", "no role")
    return max(granted, key=ROLES.index)


def _opts(request: Request) -> Options | None:
    return options(request.app.state.settings)


def _refuse(request: Request, opts: Options, error: SSOError, who: str = "?", status_code: int = 403):
    with request.app.state.engine.begin() as conn:
        audit.record(conn, who, "login.sso.refused", {"client": auth.client(request), "reason": error.reason,
                                                       "provider": opts.issuer})
    response = auth.login_page(request, error=str(error), status_code=status_code)
    response.delete_cookie(SSO_COOKIE, path="/inloggen/sso")
    return response


def _start_refused(conn, net: str) -> tuple[str, int] | None:
    """(why, HTTP status) when this client may not start a sign-on now; None when it may."""
    minutes = int(PENDING.total_seconds() // 60)
    if refused := auth.address_refused(conn, net):  # the password form's per-address limit
        return refused, 429
    if sso.pending(conn, net) >= CLIENT_PENDING:
        return (f"Te veel onafgemaakte aanmeldingen vanaf dit adres; probeer het over {minutes} minuten "
                "opnieuw.", 429)
    if sso.pending(conn) >= ALL_PENDING:
        return (f"Er lopen nu te veel aanmeldingen tegelijk; probeer het over {minutes} minuten opnieuw of log in "
                "met naam en wachtwoord.", 503)
    return None


@router.get("/inloggen/sso")
def sso_start(request: Request, volgende: Annotated[str, Query(max_length=2000)] = "/"):
    """Off to the provider; it sends the browser back to /inloggen/sso/terug."""
    opts = _opts(request)
    if opts is None:
        return auth.login_page(request, error="Inloggen via single sign-on is hier niet ingesteld.", status_code=404)
    net = auth.client_net(auth.client(request))
    with request.app.state.engine.connect() as conn:
        refused = _start_refused(conn, net)
    if refused:
        return _refuse(request, opts, SSOError(refused[0], "too many"), status_code=refused[1])
    try:
        provider = _provider(request, opts)
    except SSOError as exc:
        return _refuse(request, opts, exc, status_code=503)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    with request.app.state.engine.begin() as conn:
        sso.begin(conn, state, nonce, verifier, auth.safe_next(volgende), PENDING, client_net=net)
    with _client(provider, opts, _redirect_uri(request, opts)) as client:
        url, _ = client.create_authorization_url(provider.metadata["authorization_endpoint"], state=state,
                                                 code_verifier=verifier, nonce=nonce)
    response = RedirectResponse(url, status_code=303)
    # Lax: the provider sends the browser back with a top-level GET from its own site.
    response.set_cookie(SSO_COOKIE, state, max_age=int(PENDING.total_seconds()), httponly=True, samesite="lax",
                        secure=auth.secure(request), path="/inloggen/sso")
    return response


@router.get("/inloggen/sso/terug", name="sso_callback")
def sso_callback(request: Request, state: Annotated[str, Query(max_length=500)] = "",
                 code: Annotated[str, Query(max_length=4000)] = "",
                 error: Annotated[str, Query(max_length=200)] = ""):
    """The provider's answer: the code is exchanged for tokens, the ID token checked, the account opened."""
    opts = _opts(request)
    if opts is None:
        return auth.login_page(request, error="Inloggen via single sign-on is hier niet ingesteld.", status_code=404)
    expected = request.cookies.get(SSO_COOKIE, "")
    # The state must be the one this browser was sent off with: else someone else's sign-on is being
    # slipped into this browser (login CSRF).
    if not state or not expected or not secrets.compare_digest(state.encode(), expected.encode()):
        return _refuse(request, opts, SSOError("De aanmelding is verlopen of niet in deze browser begonnen; "
                                               "probeer het opnieuw.", "state"))
    with request.app.state.engine.begin() as conn:
        pending = sso.take(conn, state)
    if pending is None:
        return _refuse(request, opts, SSOError("De aanmelding is verlopen of al gebruikt; probeer het opnieuw.",
                                               "state unknown or expired"))
    if error or not code:
        return _refuse(request, opts, SSOError(f"De aanmelding bij {opts.name} is afgebroken of geweigerd.",
                                               f"provider: {error or 'no code'}"))
    try:
        provider = _provider(request, opts)
        with _client(provider, opts, _redirect_uri(request, opts)) as client:
            try:
                token = client.fetch_token(provider.metadata["token_endpoint"], grant_type="authorization_code",
                                           code=code, code_verifier=pending["code_verifier"])
            except (OAuthError, httpx2.HTTPError, ValueError) as exc:
                raise SSOError(f"{opts.name} gaf geen toegang (de code werd niet aanvaard); probeer het opnieuw.",
                               f"token: {exc.__class__.__name__}: {exc}"[:300]) from exc
        if not isinstance(token.get("id_token"), str):
            raise SSOError(f"{opts.name} stuurde geen identiteitsbewijs (ID-token).", "token: no id_token")
        claims = verify_id_token(provider, opts, token["id_token"], pending["nonce"])
        name = _claim(claims, opts.name_claim)
        if not isinstance(name, str) or not name.strip():
            raise SSOError(f"{opts.name} stuurde geen accountnaam ({opts.name_claim}).", f"claim {opts.name_claim}")
        role = claimed_role(claims, opts)
    except SSOError as exc:
        return _refuse(request, opts, exc)
    lifetime = timedelta(hours=request.app.state.settings.session_hours)
    try:
        with request.app.state.engine.begin() as conn:
            account = accounts.sso_account(conn, name, str(claims["sub"]), role=role, create_role=opts.create_role)
            # The ID token stays here, with the session: the provider's logout wants it as the hint.
            key = accounts.start_session(conn, account["id"], lifetime, id_token=token["id_token"])
            audit.record(conn, account["name"], "login", {"client": auth.client(request), "via": "sso",
                                                          "provider": opts.issuer, "role": account["role"]})
    except accounts.AccountError as exc:  # nothing of it was written: the transaction rolled back
        return _refuse(request, opts, SSOError(str(exc), "account"), who=name.strip().lower()[:100])
    response = auth.signed_in(request, key, lifetime, pending["target"])
    response.delete_cookie(SSO_COOKIE, path="/inloggen/sso")
    return response


def provider_logout(request: Request, id_token: str) -> RedirectResponse | None:
    """Off to the provider's logout (OpenID Connect RP-Initiated Logout 1.0) after our session ended,
    or None when single sign-on is off or the provider offers no end_session_endpoint (then only our
    session ended). The provider sends the browser back to /uitloggen/sso/terug with the state."""
    opts = _opts(request)
    if opts is None:
        return None
    try:
        provider = _provider(request, opts)
    except SSOError:  # logged; our session has ended all the same, the provider's stays
        return None
    endpoint = provider.metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not is_secure_transport(endpoint):
        return None
    state = secrets.token_urlsafe(32)
    back = opts.post_logout_redirect_uri or str(request.url_for("sso_logged_out"))
    url = add_params_to_uri(endpoint, [("id_token_hint", id_token), ("post_logout_redirect_uri", back),
                                       ("client_id", opts.client_id), ("state", state)])
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(LOGOUT_COOKIE, state, max_age=int(PENDING.total_seconds()), httponly=True, samesite="lax",
                        secure=auth.secure(request), path="/uitloggen/sso")
    return response


@router.get("/uitloggen/sso/terug", name="sso_logged_out")
def sso_logged_out(request: Request, state: Annotated[str, Query(max_length=500)] = ""):
    """Back from the provider's logout: the login page, saying so when the state is the one we sent."""
    expected = request.cookies.get(LOGOUT_COOKIE, "")
    opts = _opts(request)
    done = bool(opts and state and expected and secrets.compare_digest(state.encode(), expected.encode()))
    message = f"U bent uitgelogd, ook bij {opts.name}." if done and opts else None
    response = auth.login_page(request, message=message)
    response.delete_cookie(LOGOUT_COOKIE, path="/uitloggen/sso")
    return response


def install(app: FastAPI) -> None:
    """Check the OIDC_* settings at start (OIDCSettingsError stops the app), add the routes and the
    provider logout that signing out of a single sign-on session calls."""
    options(app.state.settings)
    app.state.oidc_providers = {}
    app.state.provider_logout = provider_logout  # what /uitloggen (workspace.auth) calls for an SSO session
    app.include_router(router)


def provider_name(request: Request) -> str | None:
    """What the login page's button names, or None when single sign-on is not configured."""
    opts = _opts(request)
    return opts.name if opts else None

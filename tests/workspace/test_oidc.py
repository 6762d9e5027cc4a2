"""Single sign-on (OpenID Connect) against a real provider on 127.0.0.1 (oidc_provider.StubProvider):
the whole authorization-code flow with PKCE through the running app, followed by an HTTP client as a
browser would; ID tokens that are forged, replayed or meant for someone else are refused; accounts
are pre-created or made on first sign-on; a disabled account stays out; the role claim decides; signing
out ends the provider's session too (RP-initiated logout) when it offers that; starting sign-ons is
limited per client address and in all, and unfinished ones expire."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider import CLIENT_ID, CLIENT_SECRET, StubProvider
from sqlalchemy import func, insert, select, update
from workspace_data import API_TOKEN, PASSWORD, csrf_of, fill, login, writable_config

from core.config.settings import Settings
from core.config.watch import load_config
from core.store import accounts, audit
from core.store import sso as pending_sign_ons
from core.store.db import make_engine, migrate
from core.store.schema import accounts as accounts_table
from core.store.schema import sessions, sso_logins, utcnow
from workspace.auth import CLIENT_ATTEMPTS
from workspace.oidc import ALL_PENDING, CLIENT_PENDING


@pytest.fixture(scope="module")
def provider():
    with StubProvider() as stub:
        yield stub


@pytest.fixture(scope="module")
def live_sso(tmp_path_factory, provider):
    """(app, url, engine): the real app under uvicorn, single sign-on through the stub provider."""
    from liveapp import LiveServer

    from newsroom.app import create_app

    tmp = tmp_path_factory.mktemp("sso")
    engine = make_engine(f"sqlite:///{tmp / 'newsroom.db'}")
    migrate(engine)
    config = load_config(writable_config(tmp))
    fill(engine, config)
    with engine.begin() as conn:
        accounts.create_account(conn, "k.devries", "webcare", None)  # single sign-on only: no password
    settings = Settings(database_url=str(engine.url), config=tmp / "watch.toml", api_token=API_TOKEN,
                        oidc_issuer=provider.url, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                        oidc_provider_name="Gemeente-account")
    app = create_app(settings, config, engine)
    with LiveServer(app) as server:
        yield app, server.url, engine
    engine.dispose()


@pytest.fixture
def sso(live_sso, provider):
    """The live app with its settings and the provider's user and tampering put back after each test."""
    app, url, engine = live_sso
    settings = app.state.settings
    yield live_sso
    app.state.settings = settings
    provider.user = {"sub": "u-1", "preferred_username": "k.devries"}
    provider.tamper, provider.deny = None, False
    if not provider.end_session:
        provider.end_session = True
        app.state.oidc_providers.clear()  # discovery again, with the end_session_endpoint


# Where a sign-on goes on to: the sign-out page (workspace.auth), whose content is this file's to rely on.
AWAY = {"volgende": "/uitloggen"}


def _configure(app, **changes) -> None:
    app.state.settings = app.state.settings.model_copy(update=changes)


def _browser() -> httpx.Client:
    return httpx.Client(follow_redirects=True, timeout=30)


def _actions(engine, actor: str) -> list[str]:
    with engine.connect() as conn:
        return [e["action"] for e in audit.entries(conn, actor=actor)["items"]]


def test_the_login_page_offers_the_provider(sso):
    _, url, _ = sso
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen?volgende=/signalen")
    assert "Inloggen met Gemeente-account" in page.text
    assert 'href="/inloggen/sso?volgende=%2Fsignalen"' in page.text


def test_a_sign_on_through_the_provider_opens_the_account(sso, provider):
    app, url, engine = sso
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params={"volgende": "/uitloggen"})
        assert page.status_code == 200, page.text[:500]
        assert urlsplit(str(page.url)).path == "/uitloggen", "back where the user was going"
        assert "k.devries" in page.text
        assert [urlsplit(str(r.url)).netloc for r in page.history][1] == urlsplit(provider.url).netloc
        assert browser.get(f"{url}/uitloggen").status_code == 200, "the session holds"
    sent = provider.authorize_requests[-1]
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32
    assert sent["redirect_uri"] == f"{url}/inloggen/sso/terug"
    assert sent["scope"].split() == ["openid", "profile", "email"]
    assert len(provider.token_requests[-1]["code_verifier"]) >= 43
    with engine.connect() as conn:
        row = conn.execute(select(accounts_table).where(accounts_table.c.name == "k.devries")).one()
        entry = audit.entries(conn, actor="k.devries", action="login")["items"][0]
    assert row.oidc_subject == "u-1", "the account is bound to the provider's subject"
    assert row.last_login_at is not None
    assert entry["detail"]["via"] == "sso" and entry["detail"]["provider"] == provider.url


@pytest.mark.parametrize("tamper", ["signature", "nonce", "aud", "iss", "expired", "alg-none", "hs256"])
def test_a_forged_or_misdirected_id_token_is_refused(sso, provider, tamper):
    _, url, engine = sso
    provider.tamper = tamper
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
        assert page.status_code == 403
        assert "niet worden gecontroleerd" in page.text
        assert "newsroom_sessie" not in browser.cookies
        assert urlsplit(str(browser.get(f"{url}/").url)).path == "/inloggen", "not signed in"
    with engine.connect() as conn:
        refused = audit.entries(conn, action="login.sso.refused")["items"][0]
    assert refused["detail"]["reason"].startswith("id_token")


def _sign_out(browser: httpx.Client, url: str) -> httpx.Response:
    """The sign-out button of /uitloggen, pressed."""
    return browser.post(f"{url}/uitloggen", data={"csrf_token": csrf_of(browser.get(f"{url}/uitloggen").text)})


def test_signing_out_ends_the_providers_session_too(sso, provider):
    _, url, engine = sso
    with _browser() as browser:
        assert browser.get(f"{url}/inloggen/sso", params=AWAY).status_code == 200
        id_token = provider.issued[-1]
        with engine.connect() as conn:
            assert id_token in conn.execute(select(sessions.c.id_token)).scalars().all(), "kept server-side"
        assert all(id_token not in value for value in browser.cookies.values()), "never in the browser"
        page = _sign_out(browser, url)
        assert page.status_code == 200 and "U bent uitgelogd, ook bij Gemeente-account." in page.text
        assert [urlsplit(str(r.url)).path for r in page.history] == ["/uitloggen", "/logout"]
        assert urlsplit(str(page.url)).path == "/uitloggen/sso/terug"
        assert urlsplit(str(browser.get(f"{url}/").url)).path == "/inloggen", "our session ended"
    sent = provider.logout_requests[-1]
    assert sent["id_token_hint"] == id_token and sent["client_id"] == CLIENT_ID
    assert sent["post_logout_redirect_uri"] == f"{url}/uitloggen/sso/terug"
    assert len(sent["state"]) >= 32
    with engine.connect() as conn:
        assert id_token not in conn.execute(select(sessions.c.id_token)).scalars().all(), "gone with the session"
    # The way back without the state we sent (someone else's link): just the login page.
    with _browser() as other:
        page = other.get(f"{url}/uitloggen/sso/terug", params={"state": sent["state"]})
    assert page.status_code == 200 and "U bent uitgelogd" not in page.text


def test_without_an_end_session_endpoint_only_our_session_ends(sso, provider):
    app, url, _ = sso
    provider.end_session = False
    app.state.oidc_providers.clear()
    before = len(provider.logout_requests)
    with _browser() as browser:
        assert browser.get(f"{url}/inloggen/sso", params=AWAY).status_code == 200
        page = _sign_out(browser, url)
        assert page.status_code == 200 and urlsplit(str(page.url)).path == "/inloggen"
        assert urlsplit(str(browser.get(f"{url}/").url)).path == "/inloggen"
    assert len(provider.logout_requests) == before


def test_a_password_session_does_not_go_to_the_provider(sso, provider):
    _, url, _ = sso
    before = len(provider.logout_requests)
    with _browser() as browser:
        token = csrf_of(browser.get(f"{url}/inloggen").text)
        signed_in = browser.post(f"{url}/inloggen", data={"naam": "webcare", "wachtwoord": PASSWORD,
                                                          "csrf_token": token, "volgende": "/uitloggen"})
        assert signed_in.status_code == 200 and urlsplit(str(signed_in.url)).path == "/uitloggen"
        page = _sign_out(browser, url)
        assert page.status_code == 200 and urlsplit(str(page.url)).path == "/inloggen"
    assert len(provider.logout_requests) == before


def test_the_answer_counts_once_and_only_in_the_browser_that_started(sso, provider):
    _, url, _ = sso
    with httpx.Client(follow_redirects=False, timeout=30) as victim:
        start = victim.get(f"{url}/inloggen/sso")
        back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
        assert parse_qs(urlsplit(back).query)["code"]
        # The provider's answer slipped into another browser (login CSRF): refused there.
        with httpx.Client(follow_redirects=False, timeout=30) as attacker:
            assert attacker.get(back).status_code == 403
        done = victim.get(back)
        assert done.status_code == 303 and "newsroom_sessie" in done.headers["set-cookie"]
        # The same answer again (replayed): the state was used up.
        victim.cookies.set("newsroom_sso", parse_qs(urlsplit(back).query)["state"][0], path="/inloggen/sso")
        again = victim.get(back)
        assert again.status_code == 403 and "al gebruikt" in again.text


def test_an_unknown_name_needs_a_precreated_account_unless_creation_is_on(sso, provider):
    app, url, engine = sso
    provider.user = {"sub": "u-2", "preferred_username": "P.Jansen@Gemeente.nl"}
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 403 and "geen account" in page.text
    _configure(app, oidc_create_accounts=True, oidc_default_role="adviseur")
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
        assert page.status_code == 200 and "p.jansen@gemeente.nl" in page.text
    with engine.connect() as conn:
        created = accounts.get_account(conn, "p.jansen@gemeente.nl")
    assert created["role"] == "adviseur" and not created["has_password"]


def test_a_disabled_account_cannot_sign_on(sso, provider):
    app, url, engine = sso
    provider.user = {"sub": "u-3", "preferred_username": "uit.dienst"}
    with engine.begin() as conn:
        accounts.create_account(conn, "uit.dienst", "webcare", None)
        accounts.set_enabled(conn, "uit.dienst", False)
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 403 and "uitgeschakeld" in page.text
    assert "login.sso.refused" in _actions(engine, "uit.dienst")


def test_a_name_bound_to_another_subject_is_not_taken_over(sso, provider):
    app, url, engine = sso
    with _browser() as browser:
        assert browser.get(f"{url}/inloggen/sso", params=AWAY).status_code == 200  # k.devries binds u-1
    provider.user = {"sub": "someone-else", "preferred_username": "k.devries"}
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 403 and "andere aanmelding" in page.text


def test_the_role_claim_decides_the_role(sso, provider):
    app, url, engine = sso
    _configure(app, oidc_role_claim="realm_access.roles",
               oidc_role_map="Newsroom Webcare:webcare,Newsroom Beheer:beheer")
    provider.user = {"sub": "u-1", "preferred_username": "k.devries",
                     "realm_access": {"roles": ["offline_access", "Newsroom Beheer", "Newsroom Webcare"]}}
    with _browser() as browser:
        page = browser.get(f"{url}/bronnen")  # a beheer page: via the login page, SSO, and back
        assert page.status_code == 200
        page = browser.get(f"{url}/inloggen/sso", params={"volgende": "/bronnen"})
        assert page.status_code == 200 and urlsplit(str(page.url)).path == "/bronnen"
    with engine.connect() as conn:
        assert accounts.get_account(conn, "k.devries")["role"] == "beheer"
    provider.user = {"sub": "u-1", "preferred_username": "k.devries", "realm_access": {"roles": ["offline_access"]}}
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 403 and "geen rol" in page.text


def test_a_refusal_at_the_provider_is_reported(sso, provider):
    _, url, _ = sso
    provider.deny = True
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 403 and "afgebroken of geweigerd" in page.text


def test_an_unreachable_provider_is_a_clear_message(sso):
    app, url, _ = sso
    _configure(app, oidc_issuer="http://127.0.0.1:9")  # nothing listens there
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 503 and "niet bereikbaar" in page.text


def test_a_discovery_document_of_another_issuer_is_not_trusted(sso, provider, caplog):
    app, url, _ = sso
    # The same server under another name: its document names 127.0.0.1 as the issuer, not localhost.
    _configure(app, oidc_issuer=provider.url.replace("127.0.0.1", "localhost"))
    with _browser() as browser:
        page = browser.get(f"{url}/inloggen/sso", params=AWAY)
    assert page.status_code == 503 and "niet bereikbaar" in page.text
    assert "discovery names issuer" in caplog.text


@pytest.mark.parametrize("changes, problem", [
    ({"oidc_issuer": "http://idp.gemeente.example/realms/stad"}, "https"),
    ({"oidc_issuer": "https://idp.gemeente.example", "oidc_client_id": ""}, "CLIENT_ID"),
    ({"oidc_issuer": "https://idp.gemeente.example", "oidc_client_id": "x", "oidc_role_map": "Beheerders:baas"},
     "ROLE_MAP"),
])
def test_settings_that_cannot_work_stop_the_start(tmp_path, changes, problem):
    from newsroom.app import create_app
    from workspace.oidc import OIDCSettingsError

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", **changes)
    with pytest.raises(OIDCSettingsError, match=problem):
        create_app(settings)


def test_a_pending_sign_on_counts_once_and_expires(engine):
    with engine.begin() as conn:
        pending_sign_ons.begin(conn, "staat-1", "nonce", "v" * 43, "/signalen", timedelta(minutes=10),
                               client_net="192.0.2.1")
        pending_sign_ons.begin(conn, "staat-2", "nonce", "v" * 43, "/", timedelta(seconds=-1), client_net="192.0.2.1")
        assert pending_sign_ons.pending(conn, "192.0.2.1") == pending_sign_ons.pending(conn) == 1, "expired: not pending"
        assert pending_sign_ons.pending(conn, "192.0.2.2") == 0
        assert pending_sign_ons.prune(conn) == 1
    with engine.begin() as conn:
        assert pending_sign_ons.take(conn, "staat-1") == {"nonce": "nonce", "code_verifier": "v" * 43, "target": "/signalen"}
        assert pending_sign_ons.take(conn, "staat-1") is None, "used once"
        assert pending_sign_ons.take(conn, "staat-2") is None, "expired"
        assert pending_sign_ons.take(conn, "nooit-begonnen") is None


def _from(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000), follow_redirects=False)


def _expire_pending(engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(sso_logins).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_unfinished_sign_ons_are_limited_per_address_and_expire(sso):
    app, _, engine = sso
    spammer = _from(app, "203.0.113.5")
    for _ in range(CLIENT_PENDING):
        assert spammer.get("/inloggen/sso").status_code == 303
    refused = spammer.get("/inloggen/sso")
    assert refused.status_code == 429 and "Te veel onafgemaakte aanmeldingen vanaf dit adres" in refused.text
    assert _from(app, "203.0.113.6").get("/inloggen/sso").status_code == 303, "another address is not affected"
    with engine.connect() as conn:
        assert pending_sign_ons.pending(conn, "203.0.113.5") == CLIENT_PENDING
        entry = audit.entries(conn, action="login.sso.refused")["items"][0]
    assert entry["detail"]["reason"] == "too many" and entry["detail"]["client"] == "203.0.113.5"
    _expire_pending(engine)
    assert spammer.get("/inloggen/sso").status_code == 303, "expired sign-ons no longer count"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sso_logins)).scalar_one() == 1, "expired ones pruned"
    _expire_pending(engine)


def test_an_address_refused_at_the_password_form_cannot_start_a_sign_on(sso):
    app, _, engine = sso
    guesser = TestClient(app, client=("198.51.100.77", 50000))
    for n in range(CLIENT_ATTEMPTS):
        assert login(guesser, f"gok{n}", "raden", target="/uitloggen").status_code == 401
    refused = _from(app, "198.51.100.77").get("/inloggen/sso")
    assert refused.status_code == 429 and "Te veel mislukte pogingen vanaf dit adres" in refused.text


def test_all_sign_ons_under_way_together_are_limited(sso):
    app, _, engine = sso
    until = utcnow() + timedelta(minutes=10)
    with engine.begin() as conn:  # started from as many addresses, one each
        conn.execute(insert(sso_logins), [{"state_hash": f"{n:064d}", "nonce": "nonce", "code_verifier": "v" * 43,
                                           "target": "/", "expires_at": until, "client_net": f"10.0.{n}"}
                                          for n in range(ALL_PENDING)])
    refused = _from(app, "192.0.2.200").get("/inloggen/sso")
    assert refused.status_code == 503 and "te veel aanmeldingen tegelijk" in refused.text
    _expire_pending(engine)
    assert _from(app, "192.0.2.200").get("/inloggen/sso").status_code == 303
    _expire_pending(engine)

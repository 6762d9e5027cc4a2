"""Data-subject requests in /beheer/privacy: find what is stored about a handle or a pseudonym and erase
it, through the same core.ingest.subjects functions as `newsroom privacy`; beheer only, CSRF on both
forms, nothing erased without the handle typed again, both steps audited with the account's name."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from workspace_data import PASSWORD, csrf_of

from core.config.settings import Settings
from core.ingest.policy import Ingest
from core.store import audit
from core.store.schema import posts, utcnow
from core.store.sources import get_source

HANDLE = "piet@mastodon.nl"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _piet(engine, config) -> dict[str, int]:
    """Two posts by Piet (a private person: stored under a pseudonym) and one by Anna mentioning him."""
    ingest = Ingest(config, Settings())
    ids = {}
    with engine.begin() as conn:
        source = get_source(conn, "mastodon-groningen")
        for key, handle, text in (
            ("own", HANDLE, f"Mijn kliko in Groningen is al drie weken niet geleegd {HOSTILE}"),
            ("own2", HANDLE, "Nog steeds niets gehoord van de gemeente Groningen over de kliko"),
            ("mention", "anna@mastodon.nl", f"@{HANDLE} heeft gelijk, bij ons in Groningen ook"),
        ):
            status, ids[key] = ingest.store(conn, source, {
                "external_id": f"privacy-{key}", "url": f"https://mastodon.nl/statuses/{key}", "text": text,
                "author": handle, "author_id": handle, "published_at": utcnow() - timedelta(minutes=5)})
            assert status == "new"
        ids["pseudonym"] = conn.execute(select(posts.c.author).where(posts.c.id == ids["own"])).scalar_one()
    assert ids["pseudonym"].startswith("inwoner-")
    return ids


def _stored(engine, post_id: int):
    with engine.connect() as conn:
        return conn.execute(select(posts.c.text).where(posts.c.id == post_id)).scalar()


@pytest.mark.parametrize("role", ["webcare", "adviseur"])
def test_only_beheer_reaches_privacy_requests(as_role, engine, ws_config, role):
    ids = _piet(engine, ws_config)
    client = as_role(role)
    token = csrf_of(client.get("/").text)
    assert 'href="/beheer/privacy"' not in client.get("/").text
    assert client.get("/beheer/privacy").status_code == 403
    assert client.post("/beheer/privacy/inzage", data={"naam": HANDLE, "csrf_token": token}).status_code == 403
    response = client.post("/beheer/privacy/wissen", data={"naam": HANDLE, "bevestiging": HANDLE, "csrf_token": token})
    assert response.status_code == 403
    assert _stored(engine, ids["own"]) is not None


def test_privacy_forms_need_their_csrf_token(as_role, engine, ws_config):
    ids = _piet(engine, ws_config)
    client = as_role("beheer")
    assert client.post("/beheer/privacy/inzage", data={"naam": HANDLE}).status_code == 403
    response = client.post("/beheer/privacy/wissen", data={"naam": HANDLE, "bevestiging": HANDLE, "csrf_token": "vals"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert _stored(engine, ids["own"]) is not None
    with engine.connect() as conn:
        assert audit.entries(conn, action="privacy.erase")["items"] == []


def test_find_then_erase_with_confirmation(as_role, engine, ws_config):
    ids = _piet(engine, ws_config)
    client = as_role("beheer")
    page = client.get("/beheer/privacy")
    assert page.status_code == 200 and 'href="/beheer/privacy" aria-current="page"' in page.text
    found = client.post("/beheer/privacy/inzage", data={"naam": f" {HANDLE} ", "csrf_token": csrf_of(page.text)})
    assert found.status_code == 200
    assert ids["pseudonym"] in found.text
    for key in ("own", "own2", "mention"):
        assert f'href="/berichten/{ids[key]}"' in found.text, key
    # Post texts are untrusted: shown as text, never as markup.
    assert HOSTILE not in found.text and "&lt;script&gt;alert(2)&lt;/script&gt;" in found.text
    with engine.connect() as conn:
        entry = audit.entries(conn, action="privacy.find")["items"][0]
    assert entry["actor"] == "beheer" and entry["detail"]["posts"] == 2 and entry["detail"]["mentions"] == 1
    assert HANDLE not in str(entry["detail"]), "the audit log keeps the pseudonym, not the handle"

    # The confirmation must repeat the handle; otherwise nothing is erased.
    wrong = client.post("/beheer/privacy/wissen", data={"naam": HANDLE, "bevestiging": "piet",
                                                        "csrf_token": csrf_of(found.text)})
    assert wrong.status_code == 422 and "Niets gewist" in wrong.text
    assert _stored(engine, ids["own"]) is not None

    erased = client.post("/beheer/privacy/wissen", data={"naam": HANDLE, "bevestiging": HANDLE,
                                                         "csrf_token": csrf_of(found.text)}, follow_redirects=False)
    assert erased.status_code == 303
    assert HANDLE not in erased.headers["location"], "the handle never travels in a URL"
    shown = client.get(erased.headers["location"])
    assert "2 bericht(en) verwijderd, 1 vermelding(en)" in shown.text and ids["pseudonym"] in shown.text
    assert _stored(engine, ids["own"]) is None and _stored(engine, ids["own2"]) is None
    assert "@…" in _stored(engine, ids["mention"]) and ids["pseudonym"] not in _stored(engine, ids["mention"])
    assert client.get(f"/berichten/{ids['own']}").status_code == 404
    with engine.connect() as conn:
        entry = audit.entries(conn, action="privacy.erase")["items"][0]
    assert entry["actor"] == "beheer" and entry["detail"]["posts"] == 2 and entry["detail"]["mentions"] == 1


def test_the_pseudonym_the_workspace_shows_finds_the_same(as_role, engine, ws_config):
    ids = _piet(engine, ws_config)
    client = as_role("beheer")
    token = csrf_of(client.get("/beheer/privacy").text)
    found = client.post("/beheer/privacy/inzage", data={"naam": ids["pseudonym"], "csrf_token": token})
    assert found.status_code == 200
    assert all(f'href="/berichten/{ids[key]}"' in found.text for key in ("own", "own2", "mention"))
    nobody = client.post("/beheer/privacy/inzage", data={"naam": "niemand@mastodon.nl", "csrf_token": token})
    assert "er valt niets te wissen" in nobody.text and 'action="/beheer/privacy/wissen"' not in nobody.text
    hostile = client.post("/beheer/privacy/inzage", data={"naam": HOSTILE, "csrf_token": token})
    assert HOSTILE not in hostile.text and "Opgeslagen over &lt;img src=x" in hostile.text
    empty = client.post("/beheer/privacy/inzage", data={"naam": "  ", "csrf_token": token})
    assert empty.status_code == 422 and "Geef de gebruikersnaam" in empty.text


@pytest.mark.browser
def test_beheer_finds_and_erases_in_the_browser(browser, live_workspace, axe):
    url, engine, config = live_workspace
    ids = _piet(engine, config)
    context = browser.new_context(locale="nl-NL", bypass_csp=True)  # bypass_csp: axe-core is injected
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url + "/inloggen")
    page.get_by_label("Naam").fill("beheer")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(url + "/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Privacyverzoeken").click()
    page.get_by_label("Gebruikersnaam of schuilnaam").fill(HANDLE)
    page.get_by_role("button", name="Opgeslagen gegevens zoeken").click()
    assert page.get_by_role("heading", name=f"Opgeslagen over {HANDLE}").is_visible()
    assert page.locator(f"a[href='/berichten/{ids['own']}']").count() == 1
    assert HOSTILE[:30] in page.locator("main table").first.inner_text()
    assert page.locator("main img").count() == 0 and dialogs == []
    page.add_script_tag(path=str(axe))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    page.get_by_label(re.compile("Typ ter bevestiging")).fill(HANDLE)
    page.get_by_role("button", name="Definitief wissen").click()
    assert "2 bericht(en) verwijderd" in page.get_by_role("status").inner_text()
    assert _stored(engine, ids["own"]) is None
    context.close()

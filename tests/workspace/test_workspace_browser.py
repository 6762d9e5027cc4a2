"""The workspace in headless Chromium against the real app: each role's menu, the search → post →
correction flow reaching the API and the wall, acknowledging a signal, escaped hostile posts, and
axe-core (from npm, injected from disk) on every page: no serious or critical violations."""
from __future__ import annotations

import httpx
import pytest
from workspace_data import PASSWORD, add_post

from core.store.schema import utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(browser, live_workspace):
    """signed_in(role) -> a page of a fresh browser context, signed in through the login form."""
    url = live_workspace[0]
    contexts = []

    def open_as(role: str):
        # bypass_csp: axe-core is injected into every page; escaping is then all that stops a hostile post.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url + "/")
        assert "/inloggen" in page.url
        page.get_by_label("Naam").fill(role)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(url + "/")
        return page

    yield open_as
    for context in contexts:
        context.close()


MENUS = {
    "webcare": ["Overzicht", "Berichten", "Signalen"],
    "adviseur": ["Overzicht", "Berichten", "Signalen", "Nieuwsbrief"],
    "beheer": ["Overzicht", "Berichten", "Signalen", "Nieuwsbrief", "Bronnen", "Accounts", "Auditlog", "Privacyverzoeken"],
}


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_its_menu_and_no_more(signed_in, live_workspace, role):
    page = signed_in(role)
    menu = page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link").all_inner_texts()
    assert [m for m in menu if m != "Wall"] == MENUS[role]
    response = page.goto(live_workspace[0] + "/bronnen")
    assert response.status == (200 if role == "beheer" else 403)
    if role != "beheer":
        assert page.get_by_role("heading", name="Geen toegang").is_visible()
        assert page.locator("form[action='/bronnen/bron']").count() == 0


def test_search_open_correct_and_every_output_follows(signed_in, live_workspace):
    url = live_workspace[0]
    page = signed_in("webcare")
    page.get_by_role("link", name="Berichten", exact=True).click()
    page.get_by_label("Zoeken").fill("afval")
    page.get_by_label("Periode").select_option("24u")  # the window of the summary and the wall's mood
    page.get_by_role("button", name="Zoeken").click()
    assert "q=afval" in page.url
    assert page.locator(".results mark").count() > 0, "hits are highlighted"
    page.locator(".results h2 a").first.click()
    post_id = int(page.url.rstrip("/").split("/")[-1])
    post = httpx.get(f"{url}/api/posts/{post_id}").json()
    was = post["label"]
    now = "positive" if was != "positive" else "negative"
    summary = httpx.get(f"{url}/api/summary").json()
    names = {"negative": "negatief", "neutral": "neutraal", "positive": "positief"}
    page.get_by_label(names[now], exact=True).check()
    page.get_by_label("Toelichting (optioneel)").fill("verkeerd begrepen")
    page.get_by_role("button", name="Label opslaan").click()
    assert page.get_by_role("status").inner_text() == "Het label is aangepast."
    assert httpx.get(f"{url}/api/posts/{post_id}").json()["label"] == now
    after = httpx.get(f"{url}/api/summary").json()
    assert (after[was], after[now]) == (summary[was] - 1, summary[now] + 1)
    wall = httpx.get(f"{url}/api/wall").json()
    assert (wall["mood"][was], wall["mood"][now]) == (after[was], after[now])
    assert [p["label"] for p in wall["posts"] if p["id"] == post_id] in ([], [now])


def test_acknowledging_a_signal_lowers_the_walls_alert_count(signed_in, live_workspace):
    url = live_workspace[0]
    before = len(httpx.get(f"{url}/api/wall").json()["alerts"])
    assert before, "the fixture posts raise an alert"
    page = signed_in("webcare")
    page.get_by_role("link", name="Signalen", exact=True).click()
    page.locator("table a[href^='/signalen/']").first.click()
    page.get_by_label("Notitie").fill("afvalpagina bijgewerkt")
    page.get_by_role("button", name="In behandeling nemen").click()
    assert "in behandeling" in page.get_by_role("status").inner_text()
    assert page.get_by_text("afvalpagina bijgewerkt").count() == 1
    assert len(httpx.get(f"{url}/api/wall").json()["alerts"]) == before - 1


def test_a_bad_form_value_gets_a_message_and_changes_nothing(signed_in, live_workspace, tmp_path):
    url, _, _ = live_workspace
    page = signed_in("beheer")
    page.goto(url + "/bronnen")
    page.locator("#bron-naam").fill("Met Spaties")
    page.locator("#bron-url").fill("ftp://bestanden.example/feed")  # a URL to the browser, not to us
    page.get_by_role("button", name="Bron opslaan").click()
    assert page.locator("#bron-naam-fout").inner_text().startswith("Gebruik kleine letters")
    assert page.locator("#bron-url").get_attribute("aria-invalid") == "true"
    assert "Met Spaties" not in httpx.get(f"{url}/api/config/sources").text


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_hostile_posts_are_shown_as_text(signed_in, live_workspace):
    url, engine, config = live_workspace
    post_id = add_post(engine, config, "mastodon-groningen", f"Kliko vol in Groningen {HOSTILE}", title=f"Afval {HOSTILE}",
                       author='<script>alert("naam")</script>', url="javascript:alert(3)", label="negative",
                       at=utcnow())
    page = signed_in("webcare")
    for path in ("/", "/berichten?q=kliko", f"/berichten/{post_id}"):
        page.goto(url + path)
        assert page.locator("main img").count() == 0, path
        assert page.locator("main a[href^='javascript:']").count() == 0, path
    assert HOSTILE in page.locator(".post-text").inner_text()
    assert page.dialogs == []


def _axe(page, axe_path) -> list[dict]:
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _summary(violations: list[dict]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in violations]


def test_axe_finds_no_serious_violations(signed_in, live_workspace, axe, browser):
    url = live_workspace[0]
    week = "{}-W{:02d}".format(*utcnow().isocalendar()[:2])
    page = signed_in("beheer")
    paths = ["/", "/berichten", "/berichten?q=afval", "/berichten/1", "/signalen", "/signalen/1", "/themas/afval",
             "/bronnen", "/beheer/accounts", "/beheer/audit", "/nieuwsbrief", "/uitloggen", "/berichten/999999",
             "/wall", "/privacy", f"/newsletters/{week}", "/newsletters/1999-W01"]
    found = {}
    for path in paths:
        page.goto(url + path)
        violations = _axe(page, axe)
        if violations:
            found[path] = _summary(violations)
    anonymous = browser.new_page(bypass_csp=True)
    anonymous.goto(url + "/inloggen")
    if violations := _axe(anonymous, axe):
        found["/inloggen"] = _summary(violations)
    anonymous.close()
    assert not found, found

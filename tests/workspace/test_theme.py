"""A city's own NL Design System tokens as the workspace's theme: the token file (THEME_CSS) is served
by the app after the default tokens, so its values win in the rendered page (headless Chromium); the
logo and the organisation's name show; axe-core still finds nothing serious; a wrong path stops the
start with a clear message."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from workspace_data import API_TOKEN, PASSWORD, fill, writable_config

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine, migrate
from workspace.theme import ThemeError

# A colour no default token has; dark enough for white button text (contrast about 11:1).
CITY_COLOUR = "rgb(122, 0, 61)"
TOKENS = f"""/* Gemeente Voorbeeldstad: design tokens (as a city's token package ships them) */
.voorbeeldstad-theme {{
  --utrecht-button-primary-action-background-color: {CITY_COLOUR};
  --utrecht-button-primary-action-border-color: {CITY_COLOUR};
  --utrecht-link-color: {CITY_COLOUR};
  --utrecht-document-font-family: Georgia, serif;
}}
"""
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        '<rect width="120" height="40" fill="#7a003d"/></svg>')


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    """(url, app): the real app under uvicorn with the city's theme, and single sign-on on the login page."""
    from liveapp import LiveServer

    from newsroom.app import create_app

    tmp = tmp_path_factory.mktemp("theme")
    (tmp / "tokens.css").write_text(TOKENS, encoding="utf-8")
    (tmp / "logo.svg").write_text(LOGO, encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp / 'newsroom.db'}")
    migrate(engine)
    config = load_config(writable_config(tmp))
    fill(engine, config)
    settings = Settings(database_url=str(engine.url), config=tmp / "watch.toml", api_token=API_TOKEN,
                        theme_css=str(tmp / "tokens.css"), theme_class="voorbeeldstad-theme",
                        theme_logo=str(tmp / "logo.svg"), theme_organisation="Gemeente Voorbeeldstad",
                        oidc_issuer="http://127.0.0.1:9", oidc_client_id="newsroom",
                        oidc_provider_name="Voorbeeldstad-account")
    app = create_app(settings, config, engine)
    with LiveServer(app) as server:
        yield server.url, app
    engine.dispose()


def _style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')")


@pytest.mark.browser
def test_the_city_tokens_colour_the_rendered_page(browser, themed):
    url, app = themed
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(url + "/inloggen")
    assert "voorbeeldstad-theme" in page.get_attribute("body", "class")
    assert "Georgia" in _style(page, "body", "font-family"), "the city's font token"
    if app.state.workspace_nlds:  # the NL Design System's CSS (setup.sh) draws the buttons from the tokens
        assert _style(page, "button[type=submit]", "background-color") == CITY_COLOUR
        assert _style(page, "a[href^='/inloggen/sso']", "background-color") == CITY_COLOUR
    logo = page.get_by_role("img", name="Gemeente Voorbeeldstad")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 120, "the logo is served and loads"
    assert "werkruimte van Gemeente Voorbeeldstad" in page.locator(".brand").inner_text()
    assert page.get_by_role("link", name="Inloggen met Voorbeeldstad-account").is_visible()
    context.close()


@pytest.mark.browser
def test_axe_finds_nothing_serious_with_the_city_theme(browser, themed, axe):
    url, _ = themed
    context = browser.new_context(locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    found = {}
    for path in ("/inloggen", "/uitloggen", "/berichten"):
        if path == "/uitloggen":  # signed in from here on
            page.get_by_label("Naam").fill("beheer")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_role("button", name="Inloggen", exact=True).click()
            page.wait_for_load_state()
        page.goto(url + path)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        serious = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    context.close()
    assert not found, found


def test_the_token_file_is_served_locally_after_the_default_tokens(themed):
    url, _ = themed
    page = httpx.get(url + "/inloggen").text
    default, city = page.index("nlds/design-tokens.css"), page.index("/werkruimte/thema.css?v=")
    assert default < city, "the city's tokens come after the defaults, so they win"
    css = httpx.get(url + page[city:].split('"')[0])
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert CITY_COLOUR in css.text
    logo = httpx.get(url + "/werkruimte/thema-logo")
    assert logo.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in logo.headers["content-security-policy"]


def test_without_a_theme_nothing_extra_is_served(ws_app):
    client = TestClient(ws_app)
    assert "thema.css" not in client.get("/inloggen").text
    assert client.get("/werkruimte/thema.css").status_code == 404
    assert client.get("/werkruimte/thema-logo").status_code == 404


@pytest.mark.parametrize("name, content, setting, problem", [
    ("missing.css", None, "theme_css", "bestaat niet"),
    ("plain.css", "body { color: red; }", "theme_css", "geen design tokens"),
    ("logo.bmp", "BM", "theme_logo", "geen .svg"),
    (None, None, "theme_class", "geen CSS-klassenaam"),
])
def test_a_theme_that_cannot_be_used_stops_the_start(tmp_path, name, content, setting, problem):
    from newsroom.app import create_app

    if name is None:
        value = "stad\" onload=\"x"
    else:
        value = str(tmp_path / name)
        if content is not None:
            (tmp_path / name).write_text(content, encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", **{setting: value})
    with pytest.raises(ThemeError, match=problem) as caught:
        create_app(settings)
    assert f"NEWSROOM_{setting.upper()}" in str(caught.value)

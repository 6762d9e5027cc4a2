"""The wall in headless Chromium against the real app on a live server: both screen sizes, live
updates without a reload, escaped post text, the crisis view, the stale warning and page rotation.

Screenshots land in test-artifacts/ (git-ignored) for people to look at.
"""
from __future__ import annotations

import httpx
import pytest
from wall_data import API_TOKEN, READ_TOKEN, add_post

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (3840, 2160)]


@pytest.fixture
def open_wall(browser, live_wall):
    """open_wall(path, width, height, clock=False, offline=False) -> a page on the wall.

    Console errors are collected in page.errors. `clock` installs Playwright's controllable clock before
    the page's timers start; `offline` makes the live stream unreachable, as when the server is down.
    """
    server, _, _ = live_wall
    pages = []

    def open_(path: str = "/wall", width: int = 1920, height: int = 1080, clock: bool = False, offline: bool = False):
        page = browser.new_page(viewport={"width": width, "height": height})
        if clock:
            page.clock.install()
        if offline:
            page.route("**/api/stream*", lambda route: route.abort())
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("dialog", lambda dialog: (page.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.goto(server.url + path + ("&" if "?" in path else "?") + f"token={READ_TOKEN}")
        page.wait_for_function("document.querySelectorAll('#ticker .post').length > 0")
        page.evaluate("document.fonts.ready")
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()


def fits_the_screen(page) -> bool:
    return page.evaluate(
        "() => { const d = document.documentElement;"
        " return d.scrollWidth <= innerWidth && d.scrollHeight <= innerHeight"
        " && document.body.scrollHeight <= innerHeight; }")


@pytest.mark.parametrize("width,height", SIZES)
def test_renders_with_data_at_both_sizes(open_wall, artifacts, width, height):
    page = open_wall("/wall", width, height)
    page.wait_for_timeout(500)
    assert page.errors == []
    assert fits_the_screen(page), "the wall must never scroll"
    assert page.text_content("#mood-net") not in ("", "–")
    assert page.locator("#ticker .post").count() >= 3
    assert page.locator("#timeline-day rect").count() > 10
    assert page.locator("#themes .theme").count() >= 4
    assert page.locator("#channels .channel").count() == 3
    assert page.is_visible("#alert") and "Afval" in page.text_content("#alert-title")
    assert "Laatst bijgewerkt" in page.text_content("#status-text")
    # Type scales with the screen: the big number is twice as tall on a 4K screen.
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('mood-net')).fontSize)")
    assert size == pytest.approx(7.6 * 16 * width / 1920, rel=0.02)
    # Nothing in a panel is cut off half-way: every ticker item ends inside the ticker.
    assert page.evaluate(
        "() => { const box = document.getElementById('ticker').getBoundingClientRect();"
        " return [...document.querySelectorAll('#ticker .post')].every(p => p.getBoundingClientRect().bottom <= box.bottom + 1); }")
    page.screenshot(path=str(artifacts / f"wall-{width}x{height}.png"))


def test_a_new_post_appears_without_reload(open_wall, live_wall):
    _, engine, config = live_wall
    page = open_wall()
    page.evaluate("window.notReloaded = true")
    text = "Net binnen: de Vismarkt staat vol met kramen voor de kerstmarkt, gezellig druk in Stad!"
    add_post(engine, config, "mastodon-groningen", text, label="positive")
    page.wait_for_function("text => document.querySelector('#ticker .post .post-text').textContent === text",
                           arg=text, timeout=10_000)
    assert page.evaluate("window.notReloaded === true")
    assert "label-positive" in page.get_attribute("#ticker .post", "class")
    assert page.errors == []


def test_post_text_with_markup_shows_as_text(open_wall, live_wall):
    _, engine, config = live_wall
    page = open_wall()
    add_post(engine, config, "reddit-groningen", "<img src=x onerror=alert(1)>", label="negative")
    page.wait_for_function(
        "() => document.querySelector('#ticker .post .post-text').textContent === '<img src=x onerror=alert(1)>'",
        timeout=10_000)
    assert page.locator("#ticker img").count() == 0
    page.wait_for_timeout(300)
    assert page.errors == [], "the markup must not run (no alert, no failed image load)"
    # Reloaded, the page renders the same post from the embedded state: still text.
    page.reload()
    page.wait_for_function("document.querySelectorAll('#ticker .post').length > 0")
    assert page.text_content("#ticker .post .post-text") == "<img src=x onerror=alert(1)>"
    assert page.locator("#ticker img").count() == 0
    assert page.errors == []


def test_crisis_webhook_switches_the_open_wall(open_wall, live_wall, artifacts):
    server, _, _ = live_wall
    page = open_wall()
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    crisis = {"theme": "afval", "message": "Storing afvalinzameling: kliko's worden morgen geleegd"}
    try:
        assert httpx.post(f"{server.url}/api/wall/crisis", json=crisis, headers=auth).status_code == 200
        page.wait_for_selector("#crisis:not([hidden])", timeout=10_000)
        assert page.text_content("#crisis-title") == "Crisis: Afval"
        assert "kliko's worden morgen geleegd" in page.text_content("#crisis-meta")
        assert "mode-crisis" in page.get_attribute("body", "class")
        assert page.text_content("#mood-heading") == "Stemming rond Afval"
        # The open afval alert is the crisis itself: one banner, not two.
        assert page.is_hidden("#alert")
        assert fits_the_screen(page)
        page.screenshot(path=str(artifacts / "wall-crisis-1920x1080.png"))
    finally:
        httpx.post(f"{server.url}/api/wall/crisis", json={"active": False}, headers=auth)
    page.wait_for_selector("#crisis", state="hidden", timeout=10_000)
    assert page.errors == []


def test_lost_server_turns_the_update_time_into_a_warning(open_wall, live_wall):
    # The page comes from the server, then the stream cannot be reached: no states arrive, reconnects fail.
    page = open_wall(clock=True, offline=True)
    assert "is-live" in page.get_attribute("#status", "class")
    page.clock.fast_forward("01:30")
    page.wait_for_function("document.getElementById('status').classList.contains('is-warning')", timeout=5_000)
    assert page.text_content("#status-text").startswith("Geen verbinding met de server")
    assert "is-offline" in page.get_attribute("body", "class")


def test_pages_rotate(open_wall):
    page = open_wall("/wall?rotate=10", clock=True)
    current = "document.querySelector('.page.is-current').dataset.page"
    assert page.evaluate(current) == "overzicht"
    assert page.is_visible("#page-tabs")
    page.clock.fast_forward("00:11")
    page.wait_for_function(f"{current} === 'week'", timeout=5_000)
    assert page.locator("#timeline-week rect").count() > 10
    assert fits_the_screen(page)
    page.clock.fast_forward("00:10")
    page.wait_for_function(f"{current} === 'themas'", timeout=5_000)
    assert page.errors == []

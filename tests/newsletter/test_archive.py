"""The archive: the list of weeks, each week's page exactly as stored, and the page in headless Chromium."""
from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from liveapp import CHROMIUM, LiveServer, chromium_missing
from newsletter_data import ARTIFACTS, SECTIONS, WEEK, Page, fill_store
from sqlalchemy import update

from core.store.db import make_engine, migrate
from core.store.schema import newsletters, utcnow
from newsletter.archive import build_and_save, get, save
from newsletter.chart import WIDTH_PX
from newsletter.render import Rendered
from newsroom.app import create_app


def client_for(engine, config, settings, **overrides) -> TestClient:
    settings = settings.model_copy(update={"database_url": str(engine.url), **overrides})
    return TestClient(create_app(settings, config, engine), raise_server_exceptions=False)


def test_archive_list_and_page(filled, newsroom_config, settings):
    build_and_save(filled, newsroom_config, WEEK, "Europe/Amsterdam")
    build_and_save(filled, newsroom_config, "2026-W46", "Europe/Amsterdam")
    client = client_for(filled, newsroom_config, settings)

    listing = client.get("/api/newsletters")
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [(i["week"], i["sent_at"], i["attempts"], i["url"]) for i in items] == [
        (WEEK, None, 0, f"/newsletters/{WEEK}"), ("2026-W46", None, 0, "/newsletters/2026-W46"),
    ]
    assert items[0]["subject"] == "Online in Groningen — week 47"

    page = client.get(f"/newsletters/{WEEK}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    with filled.connect() as conn:
        assert page.text == get(conn, WEEK).html
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert all(section in Page(page.text).headings for section in SECTIONS)

    assert client.get("/newsletters/2026-W01").status_code == 404
    assert client.get("/newsletters/week-47").status_code == 422

    # Reads can be closed to the local network: the archive follows the API's rule.
    closed = client_for(filled, newsroom_config, settings, reads_need_token=True, read_token="lezen")
    assert closed.get(f"/newsletters/{WEEK}").status_code == 401
    assert closed.get(f"/newsletters/{WEEK}?token=lezen").status_code == 200


def test_a_sent_week_is_kept_as_sent(sqlite_engine, newsroom_config):
    with sqlite_engine.begin() as conn:
        assert save(conn, WEEK, Rendered(WEEK, "eerste", "<p>eerste</p>", "eerste"))
        assert save(conn, WEEK, Rendered(WEEK, "tweede", "<p>tweede</p>", "tweede"))
        assert get(conn, WEEK).subject == "tweede"
        conn.execute(update(newsletters).values(sent_at=utcnow()))
        assert not save(conn, WEEK, Rendered(WEEK, "derde", "<p>derde</p>", "derde"))
        assert get(conn, WEEK).html == "<p>tweede</p>"


QUIET = "2026-W50"


def _placeholder_png() -> bytes:
    """What the browser gets instead of the posts' own images: no request leaves 127.0.0.1."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (540, 360), "#c9d6df")
    ImageDraw.Draw(image).text((20, 20), "afbeelding van de bron", fill="#33414d")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.browser
def test_archive_page_in_chromium(tmp_path, newsroom_config, settings):
    problem = chromium_missing()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    engine = make_engine(f"sqlite:///{tmp_path / 'archive.db'}")
    migrate(engine)
    fill_store(engine, newsroom_config, settings)
    build_and_save(engine, newsroom_config, WEEK, "Europe/Amsterdam")
    build_and_save(engine, newsroom_config, QUIET, "Europe/Amsterdam")
    placeholder = _placeholder_png()
    ARTIFACTS.mkdir(exist_ok=True)
    app = create_app(settings.model_copy(update={"database_url": str(engine.url)}), newsroom_config, engine)

    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        outside: list[str] = []

        def local_only(route):
            url = route.request.url
            if url.startswith(server.url) or url.startswith("data:"):
                route.continue_()
            elif route.request.resource_type == "image":
                outside.append(url)
                route.fulfill(status=200, content_type="image/png", body=placeholder)
            else:
                outside.append(url)
                route.abort()

        try:
            for name, viewport, scale in (("desktop", {"width": 1280, "height": 900}, 1),
                                          ("phone", {"width": 390, "height": 844}, 2)):
                context = browser.new_context(viewport=viewport, device_scale_factor=scale)
                page = context.new_page()
                problems: list[str] = []
                page.on("console", lambda msg, problems=problems: problems.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc, problems=problems: problems.append(str(exc)))
                page.route("**/*", local_only)
                response = page.goto(f"{server.url}/newsletters/{WEEK}", wait_until="load")
                assert response.status == 200
                for section in SECTIONS:
                    assert page.get_by_role("heading", name=section, exact=True).is_visible(), section
                chart = page.locator('img[src^="data:image/png"]')
                assert chart.evaluate("img => img.complete && img.naturalWidth") == WIDTH_PX
                assert chart.evaluate("img => img.getBoundingClientRect().width") <= viewport["width"]
                # On a phone the mail fits the screen: no sideways scrolling.
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                assert problems == [], problems
                page.screenshot(path=str(ARTIFACTS / f"newsletter-{WEEK}-{name}.png"), full_page=True)
                context.close()

            # A week without posts: an honest, short newsletter without a chart.
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", local_only)
            assert page.goto(f"{server.url}/newsletters/{QUIET}").status == 200
            assert page.get_by_text("Weinig berichten deze week.").is_visible()
            assert page.locator('img[src^="data:"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / f"newsletter-{QUIET}-quiet.png"), full_page=True)
        finally:
            browser.close()
    engine.dispose()
    # The posts' images are links to their own sites; the test answered them locally.
    assert outside and all(url.startswith("https://") for url in outside)
    assert (ARTIFACTS / f"newsletter-{WEEK}-desktop.png").stat().st_size > 50_000


def test_a_newsletter_goes_with_the_first_post_it_quotes(filled, newsroom_config, settings):
    """Social posts are kept 90 days, newsletters used to keep their quotes for 365: no longer."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.config.watch import parse_duration
    from core.store.newsletters import EXPIRED_TEXT
    from core.store.retention import apply_retention
    from core.store.schema import posts
    from newsletter.archive import make, quoted
    from newsletter.build import build_week

    rendered, saved = build_and_save(filled, newsroom_config, WEEK, "Europe/Amsterdam")
    assert saved and rendered.expires_at is not None
    with filled.connect() as conn:
        post_ids, _story_ids = quoted(build_week(conn, newsroom_config, WEEK, "Europe/Amsterdam"))
        rows = conn.execute(select(posts.c.channel, posts.c.published_at).where(posts.c.id.in_(post_ids))).all()
        assert make(conn, newsroom_config, WEEK, "Europe/Amsterdam").expires_at == rendered.expires_at
    retention = newsroom_config.privacy.retention
    assert {row.channel for row in rows} >= {"social"}
    assert rendered.expires_at <= min(row.published_at + parse_duration(retention[row.channel]) for row in rows)

    with filled.begin() as conn:
        apply_retention(conn, newsroom_config, rendered.expires_at - timedelta(seconds=1))
    with filled.connect() as conn:
        assert get(conn, WEEK).html == rendered.html  # not yet
    with filled.begin() as conn:
        apply_retention(conn, newsroom_config, rendered.expires_at)
    with filled.connect() as conn:
        row = get(conn, WEEK)
    # The week stays known (it is never sent twice); nothing of the posts it quoted is left in it.
    assert row is not None and row.html == row.text == EXPIRED_TEXT and row.subject == rendered.subject

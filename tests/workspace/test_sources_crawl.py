"""A source added through /bronnen is crawled on the scheduler's next run, without a restart: the real
app and the real scheduler of `newsroom run` (one config watcher shared, as newsroom.cli builds them),
a real crawl process, a recorded Dutch feed on a local HTTP server, and headless Chromium."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from localserver import LocalServer
from sqlalchemy import select
from workspace_data import API_TOKEN, PASSWORD, fill, writable_config

from core.config.file import ConfigFile
from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine, migrate
from core.store.schema import crawl_runs, sources, utcnow

pytestmark = pytest.mark.browser

FEEDS = Path(__file__).resolve().parents[1] / "crawlers" / "fixtures"
RSS = "application/rss+xml; charset=utf-8"
# No politeness delays against our own server (as the crawl tests).
FAST = {"NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0", "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
        "NEWSROOM_CRAWL_DOWNLOAD_TIMEOUT": "10", "NEWSROOM_CRAWL_RETRY_TIMES": "1"}
# The jobs this test is about; the others (scoring loads the sentiment model, alert delivery, retention,
# the newsletter, theme tagging) have their own tests and would only slow this one down.
KEEP = ("config", "crawl:")


@pytest.fixture
def feed():
    """The Stadskrant's recorded feed (and the article pages its teasers link to) on 127.0.0.1."""
    server = LocalServer()
    server.serve("/nieuws/stadskrant.xml", (FEEDS / "stadskrant.xml").read_bytes(), content_type=RSS)
    for article in ("minder-klikos", "wateroverlast-paddepoel"):
        server.serve(f"/nieuws/artikel/{article}.html", (FEEDS / f"artikel-{article}.html").read_bytes())
    yield server
    server.close()


@pytest.fixture
def running(tmp_path, monkeypatch):
    """(url, engine, scheduler): `newsroom run` in this process: the app under uvicorn and the scheduler
    sharing one config watcher, over a filled SQLite store, crawling only 127.0.0.1."""
    from liveapp import LiveServer

    from newsroom.app import create_app
    from newsroom.jobs import build_scheduler, close_crawl_pools

    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(f"sqlite:///{tmp_path / 'newsroom.db'}")
    migrate(engine)
    path = writable_config(tmp_path)
    config = load_config(path)
    fill(engine, config)
    settings = Settings(database_url=str(engine.url), config=path, api_token=API_TOKEN, loopback_only=True)
    config_file = ConfigFile(settings.config, config)
    scheduler = build_scheduler(settings, config, engine, config_file)
    for job in scheduler.get_jobs():
        if not job.id.startswith(KEEP):
            job.remove()
    # The crawls of the configured sources (unreachable here) are not this test's business either.
    for job in scheduler.get_jobs():
        if job.id.startswith("crawl:"):
            job.pause()
    scheduler.start()
    try:
        with LiveServer(create_app(settings, config, engine, config_file)) as server:
            yield server.url, engine, scheduler
    finally:
        scheduler.shutdown(wait=True)
        close_crawl_pools()
        engine.dispose()


def _runs(engine, source: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(crawl_runs).join(sources).where(sources.c.name == source).order_by(crawl_runs.c.id))]


def test_a_source_added_through_the_form_is_crawled_on_the_next_run(browser, feed, running):
    url, engine, scheduler = running
    assert scheduler.get_job("crawl:stadskrant") is None
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(url + "/inloggen")
    page.get_by_label("Naam").fill("beheer")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(url + "/")
    page.get_by_role("link", name="Bronnen", exact=True).click()

    # A bad value first: a Dutch message beside the field, the form kept, nothing written or scheduled.
    config_text = (Path(scheduler.get_job("config").args[3].path)).read_text(encoding="utf-8")
    page.locator("#bron-naam").fill("stadskrant")
    page.locator("#bron-url").fill(feed.url("/nieuws/stadskrant.xml"))
    page.locator("#bron-interval").fill("elk kwartier")
    page.locator("#bron-soort").select_option("feed")
    page.get_by_label("Lokale bron (alle berichten bewaren)").check()
    page.get_by_role("button", name="Bron opslaan").click()
    assert page.locator("#bron-interval-fout").inner_text() == "Geef een interval als 30s, 10m, 2h of 1d."
    assert page.locator("#bron-naam").input_value() == "stadskrant"
    assert Path(scheduler.get_job("config").args[3].path).read_text(encoding="utf-8") == config_text

    page.locator("#bron-interval").fill("10m")
    page.get_by_role("button", name="Bron opslaan").click()
    assert page.get_by_role("status").inner_text() == "Bron stadskrant opgeslagen."
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="stadskrant", exact=True))
    assert "nog niet gedraaid" in row.inner_text()

    # The next run: the scheduler's config job (every 15 s) sees the change and schedules the new source,
    # due at once. Run now rather than wait for its tick.
    scheduler.get_job("config").modify(next_run_time=utcnow())
    deadline = time.monotonic() + 180
    while not [r for r in _runs(engine, "stadskrant") if r["status"] != "running"]:
        assert time.monotonic() < deadline, "the new source was not crawled"
        time.sleep(0.5)
    job = scheduler.get_job("crawl:stadskrant")
    assert job is not None and job.trigger.interval.total_seconds() == 600
    [run] = _runs(engine, "stadskrant")
    assert run["status"] == "ok" and run["new"] == 4, run
    assert feed.requests_to("/nieuws/stadskrant.xml")

    page.goto(url + "/berichten?bron=stadskrant")
    titles = page.locator(".results h2 a").all_inner_texts()
    assert "Nieuwe fietsenstalling onder het Forum geopend" in titles and len(titles) == 4
    page.goto(url + "/bronnen")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="stadskrant", exact=True))
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells[2] == "ok" and cells[5] == "4" and cells[6] == "0", cells
    assert cells[3] != "—" and cells[4] != "—", "last run and last success shown"
    context.close()

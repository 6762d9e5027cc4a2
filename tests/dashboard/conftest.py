"""Fixtures of the wall tests: the filled store, the app under a live server, headless Chromium."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from liveapp import CHROMIUM, LiveServer, chromium_missing
from wall_data import API_TOKEN, ARTIFACTS, FIXTURES, READ_TOKEN, fill

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine, migrate


@pytest.fixture
def wall_config():
    return load_config(FIXTURES / "wall.toml")


@pytest.fixture
def wall_engine(engine, wall_config):
    """The shared `engine` (SQLite, and PostgreSQL when configured) filled with the fixture posts."""
    fill(engine, wall_config)
    return engine


@pytest.fixture(scope="module")
def live_wall(tmp_path_factory):
    """(server, engine, config): the app on a SQLite store with the fixture posts, shared by a module.

    Reads need a token, as on a public network: every page and stream is opened the way a signage
    player opens the kiosk URL, with ?token=READ_TOKEN.
    """
    from newsroom.app import create_app

    path = tmp_path_factory.mktemp("wall") / "newsroom.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    config = load_config(FIXTURES / "wall.toml")
    fill(engine, config)
    settings = Settings(database_url=str(engine.url), config=FIXTURES / "wall.toml", api_token=API_TOKEN,
                        reads_need_token=True, read_token=READ_TOKEN)
    with LiveServer(create_app(settings, config, engine)) as server:
        yield server, engine, config
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    problem = chromium_missing()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

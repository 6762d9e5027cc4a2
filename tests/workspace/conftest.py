"""Fixtures of the workspace tests: the app over a filled store (SQLite, and PostgreSQL when
configured), signed-in clients per role, and the live app with headless Chromium."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from workspace_data import API_TOKEN, fill, login, writable_config

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine, migrate


@pytest.fixture
def ws_config(tmp_path):
    return load_config(writable_config(tmp_path))


@pytest.fixture
def ws_app(engine, ws_config, tmp_path):
    from newsroom.app import create_app

    fill(engine, ws_config)
    settings = Settings(database_url=str(engine.url), config=tmp_path / "watch.toml", api_token=API_TOKEN)
    return create_app(settings, ws_config, engine)


@pytest.fixture
def as_role(ws_app):
    """as_role(name) -> a TestClient signed in as that account."""
    clients = []

    def make(name: str) -> TestClient:
        client = TestClient(ws_app, raise_server_exceptions=True)
        clients.append(client)
        response = login(client, name)
        assert response.status_code == 200, response.text[:500]
        return client

    yield make
    for client in clients:
        client.close()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def live_workspace(tmp_path_factory):
    """(server url, engine, config): the real app under uvicorn on a filled SQLite store, per module."""
    from liveapp import LiveServer

    from newsroom.app import create_app

    tmp = tmp_path_factory.mktemp("workspace")
    engine = make_engine(f"sqlite:///{tmp / 'newsroom.db'}")
    migrate(engine)
    config = load_config(writable_config(tmp))
    fill(engine, config)
    settings = Settings(database_url=str(engine.url), config=tmp / "watch.toml", api_token=API_TOKEN)
    with LiveServer(create_app(settings, config, engine)) as server:
        yield server.url, engine, config
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from liveapp import CHROMIUM, CHROMIUM_ARGS, chromium_missing

    problem = chromium_missing()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def axe() -> Path:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); run ./setup.sh --test (npm ci)")
    return AXE

"""Fixtures of the newsletter tests; the data and helpers live in newsletter_data.py."""
from __future__ import annotations

import pytest
from newsletter_data import WATCH_EXTRA, SmtpServer, fill_store

from core.config.settings import Settings
from core.config.watch import load_config


@pytest.fixture
def newsroom_config(write_config):
    return load_config(write_config(WATCH_EXTRA))


@pytest.fixture
def settings(tmp_path):
    """Settings for functions that take the engine and config separately (no database_url needed)."""
    return Settings(config=tmp_path / "watch.toml", pseudonym_salt="test-salt", timezone="Europe/Amsterdam",
                    smtp_url="")


@pytest.fixture
def filled(engine, newsroom_config, settings):
    fill_store(engine, newsroom_config, settings)
    return engine


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()

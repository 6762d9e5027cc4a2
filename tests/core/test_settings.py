"""Settings from the environment: an empty variable is the same as an unset one, for every setting."""
from __future__ import annotations

import os

import pytest

from core.config.settings import Settings
from crawlers.settings import CrawlSettings


@pytest.mark.parametrize("settings_class", [Settings, CrawlSettings])
def test_empty_variables_mean_the_default(monkeypatch, settings_class):
    for name in [n for n in os.environ if n.startswith("NEWSROOM_")]:
        monkeypatch.delenv(name)
    defaults = settings_class()
    prefix = settings_class.model_config["env_prefix"]
    for field in settings_class.model_fields:
        monkeypatch.setenv(f"{prefix}{field.upper()}", "")

    # Before, NEWSROOM_CONFIG= became Path(".") and NEWSROOM_PORT= a validation error.
    assert settings_class() == defaults


def test_a_set_variable_still_wins(monkeypatch):
    monkeypatch.setenv("NEWSROOM_CONFIG", "/etc/newsroom/watch.toml")
    monkeypatch.setenv("NEWSROOM_PORT", "")
    settings = Settings()
    assert str(settings.config) == "/etc/newsroom/watch.toml" and settings.port == 8000

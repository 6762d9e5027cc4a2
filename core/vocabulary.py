"""The newsroom's words, defined once: sentiment labels, channels and source kinds, with their Dutch names.

Every room that shows or checks one of these (the wall, the workspace, the newsletter, the alerts, the
CLI, the API's validation, the sentiment model) takes it from here, so they cannot drift apart.
"""
from __future__ import annotations

from typing import Literal

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
LABEL_NAMES: dict[str, str] = {"negative": "negatief", "neutral": "neutraal", "positive": "positief"}
# A post the model has not scored yet (Dutch posts waiting for the scorer).
UNSCORED = "unscored"
UNSCORED_NAME = "nog niet beoordeeld"
# Where a line has room for one word only (the wall's ticker).
UNSCORED_SHORT = "onbeoordeeld"
# Posts in another language than Dutch: counted apart, never in a mood (core.analytics.summary).
OTHER_LANGUAGE = "other_language"
OTHER_LANGUAGE_NAME = "in andere talen"
OTHER_LANGUAGE_SHORT = "andere taal"
# A mood figure whose sample is below the minimum is shown as these words instead of a number.
TOO_FEW = "te weinig berichten"

Channel = Literal["news", "forum", "social"]
CHANNELS: tuple[Channel, ...] = ("news", "forum", "social")
CHANNEL_NAMES: dict[str, str] = {"news": "nieuws", "forum": "forums", "social": "sociale media"}

# Workspace roles, each allowed what the one before may and more (workspace/auth.py).
Role = Literal["webcare", "adviseur", "beheer"]
ROLES: tuple[Role, ...] = ("webcare", "adviseur", "beheer")
ROLE_NAMES: dict[str, str] = {"webcare": "webcare", "adviseur": "adviseur", "beheer": "beheerder"}


def label_name(label: str | None) -> str:
    """The Dutch word for a label; None or "unscored" (not scored yet) reads "nog niet beoordeeld"."""
    return LABEL_NAMES.get(label or "", UNSCORED_NAME)


def channel_name(channel: str, *, capital: bool = False) -> str:
    name = CHANNEL_NAMES.get(channel, channel)
    return name[:1].upper() + name[1:] if capital else name


def for_browser() -> dict[str, object]:
    """The words for a page's script (the wall's JS), so it draws nothing in words of its own."""
    return {
        "sentiments": [*LABELS, UNSCORED, OTHER_LANGUAGE],
        "labels": {**LABEL_NAMES, UNSCORED: UNSCORED_NAME, OTHER_LANGUAGE: OTHER_LANGUAGE_NAME},
        "unscored_short": UNSCORED_SHORT,
        "other_language": OTHER_LANGUAGE_NAME,
        "other_language_short": OTHER_LANGUAGE_SHORT,
        "too_few": TOO_FEW,
        "channels": {channel: channel_name(channel, capital=True) for channel in CHANNELS},
    }

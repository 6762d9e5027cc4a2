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

Channel = Literal["news", "forum", "social"]
CHANNELS: tuple[Channel, ...] = ("news", "forum", "social")
CHANNEL_NAMES: dict[str, str] = {"news": "nieuws", "forum": "forums", "social": "sociale media"}


def label_name(label: str | None) -> str:
    """The Dutch word for a label; None (not scored yet) reads "nog niet beoordeeld"."""
    return LABEL_NAMES.get(label or "", UNSCORED_NAME)


def channel_name(channel: str, *, capital: bool = False) -> str:
    name = CHANNEL_NAMES.get(channel, channel)
    return name[:1].upper() + name[1:] if capital else name

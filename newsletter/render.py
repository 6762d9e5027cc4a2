"""A built week (newsletter.build) -> subject, HTML and plain text, with the Jinja2 templates in templates/.

The HTML is made for mail clients first (Outlook's Word engine, phones): table layout, inline styles, no
scripts. The chart travels inside the HTML as a data: URI, so the stored HTML is complete on its own: the
archive serves it as it is, and composing the mail (newsletter.deliver) turns the data: image into an
inline CID part, which mail clients show without fetching anything.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.vocabulary import OTHER_LANGUAGE_NAME, TOO_FEW, channel_name, label_name

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    week: str
    subject: str
    html: str
    text: str
    # When the first post it quotes passes its retention (newsletter.archive sets it).
    expires_at: datetime | None = None


def number(value) -> str:
    """1234 -> '1.234' (Dutch thousands separator)."""
    if value is None:
        return "–"
    return f"{int(value):,}".replace(",", ".")


def signed(value, suffix: str = "") -> str:
    """+12, -3, 0 — rounded; '–' when there is nothing to compare with."""
    if value is None:
        return "–"
    rounded = round(value)
    return f"{rounded:+d}{suffix}" if rounded else f"0{suffix}"


def tone(value) -> str:
    """The colour of a net sentiment or its change: green up, red down, grey otherwise."""
    if value is None or round(value) == 0:
        return "#5f6b76"
    return "#1e7a46" if value > 0 else "#b03a2e"


def mood(figures: dict) -> str:
    """A mood figure (core.analytics.summary.mood) as the newsletter says it: "te weinig berichten"
    below the minimum sample, else net sentiment with its margin while the sample is small: '+12 ±9'."""
    if figures.get("low_sample") or figures.get("net_sentiment") is None:
        return TOO_FEW
    margin = figures.get("margin")
    return signed(figures["net_sentiment"]) + (f" ±{round(margin)}" if margin else "")


def growth(value) -> str:
    """3.5 -> '3,5×'."""
    return f"{value:.1f}×".replace(".", ",")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, signed=signed, tone=tone, growth=growth, mood=mood)
    # The one vocabulary: the templates write labels and channels with these, never as their own words.
    env.globals.update(label_name=label_name, channel_name=channel_name, other_language=OTHER_LANGUAGE_NAME)
    return env


_env = _environment()


def chart_data_uri(png: bytes | None) -> str | None:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None


def render(data: dict) -> Rendered:
    """The subject, the HTML (mail and archive) and the plain-text alternative of a built week."""
    context = {**data, "chart_src": chart_data_uri(data["trend"]["png"])}
    html = _env.get_template("newsletter.html").render(context)
    text = _env.get_template("newsletter.txt").render(context)
    return Rendered(week=data["week"], subject=data["subject"], html=html, text=text)

"""Transparency: the public /privacy page and the DPIA and Algoritmeregister text blocks, all
generated from the watch configuration so what is published is what is configured."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import get_config, get_settings
from core.config import WatchConfig, parse_duration
from core.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates" / "privacy"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_KIND_NAMES = {
    "feed": "nieuwssite (RSS/Atom)",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "discourse": "forum (Discourse)",
    "reddit": "Reddit",
    "forum": "forum (webpagina's)",
}
_CHANNEL_NAMES = {"news": "nieuws", "forum": "forums", "social": "sociale media"}

router = APIRouter(tags=["privacy"])


def _days(period: str) -> int:
    return parse_duration(period).days


def context(config: WatchConfig, settings: Settings) -> dict:
    return {
        "city": config.watch.city,
        "terms": config.watch.terms,
        "themes": config.themes,
        "sources": [
            {"name": s.name, "kind": _KIND_NAMES[s.kind], "url": s.url, "local": s.local}
            for s in config.sources if s.enabled
        ],
        "retention": [
            {"channel": _CHANNEL_NAMES.get(channel, channel), "days": _days(period)}
            for channel, period in config.privacy.retention.items()
        ],
        "privacy": config.privacy,
        "model": settings.model or "het meegeleverde Nederlandse sentimentmodel (multilingual-e5-small, bijgetraind)",
    }


def render(name: str, config: WatchConfig, settings: Settings) -> str:
    return _env.get_template(name).render(**context(config, settings))


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(config: WatchConfig = Depends(get_config), settings: Settings = Depends(get_settings)):
    return render("privacy.html", config, settings)


@router.get("/privacy/dpia.md", response_class=PlainTextResponse)
def dpia(config: WatchConfig = Depends(get_config), settings: Settings = Depends(get_settings)):
    return render("dpia.md", config, settings)


@router.get("/privacy/algoritmeregister.md", response_class=PlainTextResponse)
def algoritmeregister(config: WatchConfig = Depends(get_config), settings: Settings = Depends(get_settings)):
    return render("algoritmeregister.md", config, settings)

"""Transparency: the public /privacy page and the DPIA and Algoritmeregister text blocks, all
generated from the watch configuration so what is published is what is configured."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.config.settings import Settings
from core.config.watch import WatchConfig, parse_duration

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


def _render(request: Request, name: str) -> str:
    # The application keeps settings and config on app.state; the dashboard reads them there.
    return render(name, request.app.state.config, request.app.state.settings)


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request):
    return _render(request, "privacy.html")


@router.get("/privacy/dpia.md", response_class=PlainTextResponse)
def dpia(request: Request):
    return _render(request, "dpia.md")


@router.get("/privacy/algoritmeregister.md", response_class=PlainTextResponse)
def algoritmeregister(request: Request):
    return _render(request, "algoritmeregister.md")

"""Transparency: the public /privacy page and the DPIA and Algoritmeregister text blocks, all
generated from the watch configuration so what is published is what is configured."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.config.settings import Settings
from core.config.watch import WatchConfig, parse_duration
from core.vocabulary import channel_name, label_name

TEMPLATES = Path(__file__).resolve().parent / "templates" / "privacy"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(label_name=label_name)
_KIND_NAMES = {
    "feed": "nieuwssite (RSS/Atom)",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "discourse": "forum (Discourse)",
    "reddit": "Reddit",
    "forum": "forum (webpagina's)",
}

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
            {"channel": channel_name(channel), "days": _days(period)}
            for channel, period in config.privacy.retention.items()
        ],
        "privacy": config.privacy,
        # Newsletters keep their content no longer than the first post they quote (core.store.newsletters);
        # the row itself goes after the longest retention (core.store.retention).
        "longest_days": max((_days(p) for p in config.privacy.retention.values()), default=365),
        "audit_days": _days(config.privacy.audit_retention),
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

"""A city's own look for the workspace: its NL Design System design tokens, logo and name (THEME_*).

The token file is what a municipality already publishes for its other services (for example
`@utrecht/design-tokens`' `dist/index.css`, or a `--nl-*`/`--<city>-*` token file): CSS custom
properties, scoped to a theme class. The pages load it after the default tokens, so its values win;
THEME_CLASS puts the class its tokens are scoped to (e.g. `denhaag-theme`) on the page. The files are
checked when the app starts (a wrong path fails the start, not a page later) and served from here:
no CDN, no other origin.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse

from core.config.settings import Settings, SettingsError

router = APIRouter(tags=["werkruimte"], include_in_schema=False)

MAX_CSS_BYTES = 5_000_000
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp", ".gif": "image/gif"}
CLASS_NAME = re.compile(r"^-?[a-zA-Z_][a-zA-Z0-9_-]*$")


class ThemeError(SettingsError):
    """A THEME_* setting that cannot be used; the message says which, in Dutch and English."""


@dataclass(frozen=True)
class Theme:
    css: Path | None = None
    # A digest of the token file: the page's link changes with the file, so browsers never keep an old one.
    version: str = ""
    body_class: str = ""
    logo: Path | None = None
    logo_type: str = ""
    organisation: str = ""


def _file(value: str, setting: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ThemeError(f"NEWSROOM_{setting}: het bestand {str(path)!r} bestaat niet of is geen bestand "
                         f"(the file does not exist or is not a file).")
    return path.resolve()


def load(settings: Settings) -> Theme:
    """The theme the settings name, checked; ThemeError when a file is missing or unusable."""
    css, version = None, ""
    if settings.theme_css.strip():
        css = _file(settings.theme_css.strip(), "THEME_CSS")
        data = css.read_bytes()
        if len(data) > MAX_CSS_BYTES:
            raise ThemeError(f"NEWSROOM_THEME_CSS: {css} is groter dan {MAX_CSS_BYTES // 1_000_000} MB "
                             "(the file is too large for a token file).")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ThemeError(f"NEWSROOM_THEME_CSS: {css} is geen UTF-8-tekst (the file is not UTF-8 text).") from None
        if not re.search(r"--[a-zA-Z0-9_-]+\s*:", text):
            raise ThemeError(f"NEWSROOM_THEME_CSS: {css} bevat geen design tokens (CSS custom properties zoals "
                             "--utrecht-color-…: …) (the file holds no CSS custom properties).")
        version = hashlib.sha256(data).hexdigest()[:12]
    body_class = settings.theme_class.strip()
    if body_class and not all(CLASS_NAME.match(name) for name in body_class.split()):
        raise ThemeError(f"NEWSROOM_THEME_CLASS: {body_class!r} is geen CSS-klassenaam (not a CSS class name).")
    logo, logo_type = None, ""
    if settings.theme_logo.strip():
        logo = _file(settings.theme_logo.strip(), "THEME_LOGO")
        logo_type = LOGO_TYPES.get(logo.suffix.lower(), "")
        if not logo_type:
            raise ThemeError(f"NEWSROOM_THEME_LOGO: {logo.name} is geen {', '.join(LOGO_TYPES)}-bestand "
                             "(unsupported image type).")
    return Theme(css=css, version=version, body_class=body_class, logo=logo, logo_type=logo_type,
                 organisation=settings.theme_organisation.strip())


def install(app: FastAPI) -> None:
    """Check the theme at start (ThemeError stops the app) and serve its files."""
    app.state.workspace_theme = load(app.state.settings)
    app.include_router(router)


def _theme(request: Request) -> Theme:
    return request.app.state.workspace_theme


# A week: the page's link carries the file's digest, so a changed file is a new address.
CACHE = {"Cache-Control": "public, max-age=604800", "X-Content-Type-Options": "nosniff"}


@router.get("/werkruimte/thema.css")
def theme_css(request: Request):
    theme = _theme(request)
    if theme.css is None:
        raise HTTPException(404)
    return FileResponse(theme.css, media_type="text/css; charset=utf-8", headers=CACHE)


@router.get("/werkruimte/thema-logo")
def theme_logo(request: Request):
    theme = _theme(request)
    if theme.logo is None:
        raise HTTPException(404)
    # An SVG opened on its own runs no script and loads nothing.
    return FileResponse(theme.logo, media_type=theme.logo_type,
                        headers={**CACHE, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

"""workspace: the staff web app beside the wall, where the webcare team and the advisers act on what
the wall shows: search and read posts, correct labels, acknowledge signals, manage sources, themes,
accounts and the coming newsletter.

Server-rendered (FastAPI routes over plain core functions, Jinja2 templates in workspace/templates),
every asset served locally (workspace/static; the NL Design System CSS copied there by setup.sh).
Named accounts with roles, server-side sessions and CSRF tokens: workspace/auth.py; single sign-on
(OpenID Connect): workspace/oidc.py; a city's own design tokens and logo: workspace/theme.py.

May import: core (and its own modules). newsroom.app mounts it with `workspace.mount(app)`.
"""
from __future__ import annotations

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Add the workspace's pages, its static files and its login handling to the application."""
    from . import admin, auth, oidc, pages, theme, web

    web.install(app)
    # Both check their settings here: a wrong theme file or OIDC setting stops the start, with why.
    theme.install(app)
    oidc.install(app)
    for module in (auth, pages, admin):
        app.include_router(module.router)

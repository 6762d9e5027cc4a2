"""Request dependencies shared by every router: the store, the config, and access control.

The application (newsroom.app.create_app) puts `settings`, `config` and `engine` on app.state; routers
only read them from here, so the rooms never import the application.
"""
from __future__ import annotations

import hmac
from typing import Annotated, Iterator

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Connection, Engine

from core.config.settings import Settings
from core.config.watch import WatchConfig


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_config(request: Request) -> WatchConfig:
    return request.app.state.config


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    # Kiosk players and signage CMSs cannot set headers: a read token may come as ?token=.
    return request.query_params.get("token", "")


def _matches(given: str, expected: str) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


ADMIN = "admin"


def _writer(token: str, settings: Settings) -> str | None:
    """The name of the write token given: "admin" for NEWSROOM_API_TOKEN, else its NEWSROOM_API_TOKENS name."""
    if _matches(token, settings.api_token):
        return ADMIN
    for name, expected in settings.named_tokens().items():
        if _matches(token, expected):
            return name
    return None


def require_token(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> str:
    """Writes: always need a write token (NEWSROOM_API_TOKEN or a named one). Returns the actor name
    for the audit log."""
    if not settings.api_token and not settings.named_tokens():
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Schrijven is uitgeschakeld: NEWSROOM_API_TOKEN is niet ingesteld.")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    actor = _writer(token.strip(), settings) if scheme.lower() == "bearer" else None
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Geldig token vereist (Authorization: Bearer …).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


def require_admin(actor: Annotated[str, Depends(require_token)]) -> str:
    """The administrator's own token (NEWSROOM_API_TOKEN): viewing the audit log."""
    if actor != ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Alleen met het beheerderstoken (NEWSROOM_API_TOKEN).")
    return actor


def read_access(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> str:
    """Reads: open on the local network unless NEWSROOM_READS_NEED_TOKEN; then a write or read token.

    Returns the actor name for the audit log ("anonymous" when reads are open and no token is sent)."""
    token = _bearer(request)
    actor = _writer(token, settings) if token else None
    if actor is None and _matches(token, settings.read_token):
        actor = "reader"
    if actor is not None:
        return actor
    if not settings.reads_need_token:
        return "anonymous"
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "Token vereist om te lezen.", headers={"WWW-Authenticate": "Bearer"}
    )


# The dependencies as types, for route signatures: `conn: Conn`, `actor: Writer`.
SettingsDep = Annotated[Settings, Depends(get_settings)]
Config = Annotated[WatchConfig, Depends(get_config)]
EngineDep = Annotated[Engine, Depends(get_engine)]
Conn = Annotated[Connection, Depends(get_conn)]
Writer = Annotated[str, Depends(require_token)]
Reader = Annotated[str, Depends(read_access)]
Admin = Annotated[str, Depends(require_admin)]

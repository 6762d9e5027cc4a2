"""Sources and themes of the watch configuration: listed by anyone who may read, changed with a token.

A change edits the TOML file (core.config_file: validated whole, written atomically, comments kept);
the scheduler's reload job notices the file changed and reschedules crawls and re-tags posts, so
nothing needs a restart. This app uses the new config at once.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request, Response
from sqlalchemy import Engine

from core.config.file import (
    ConfigFile,
    ConfigNotWritable,
    delete_entry,
    entry,
    put_entry,
)
from core.config.watch import ConfigError
from core.store import audit
from core.store.sources import sync_sources

from .deps import EngineDep, Writer, read_access
from .models import ConfigEntry, Items

router = APIRouter(prefix="/api/config", tags=["config"])

NAME = r"^[a-z0-9][a-z0-9_-]*$"
SECTIONS = {"sources": "source", "themes": "theme"}
SOURCE_EXAMPLE = {"kind": "feed", "url": "https://www.oogtv.nl/feed/", "every": "10m", "local": True}
THEME_EXAMPLE = {"label": "Afval", "terms": ["afval", "container", "kliko"], "page": "https://gemeente.groningen.nl/afval"}


def config_file(request: Request) -> ConfigFile:
    return request.app.state.config_file


def _listing(request: Request, section: str) -> dict:
    config = config_file(request).current()
    return {"items": [item.model_dump() for item in getattr(config, section)]}


def _one(request: Request, section: str, name: str) -> dict:
    found = entry(config_file(request).current(), section, name)
    if found is None:
        raise HTTPException(404, f"Onbekende {'bron' if section == 'sources' else 'thema'}: {name}.")
    return found


def _apply(request: Request, engine: Engine, actor: str, section: str, name: str, edit, action: str) -> tuple:
    file = config_file(request)
    before = entry(file.current(), section, name)
    try:
        config = file.change(edit)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    except ConfigNotWritable as exc:
        raise HTTPException(409, f"De configuratie kan niet worden aangepast: {exc}") from None
    except KeyError:
        raise HTTPException(404, f"Onbekende {'bron' if section == 'sources' else 'thema'}: {name}.") from None
    request.app.state.config = config
    after = entry(config, section, name)
    with engine.begin() as conn:
        if section == "sources":
            sync_sources(conn, config)
        client = request.client.host if request.client else None
        audit.record(conn, actor, f"config.{SECTIONS[section]}.{action}",
                     {"name": name, "before": before, "after": after, "client": client})
    return before, after


def _put(request: Request, response: Response, engine: Engine, actor: str, section: str, name: str,
         values: dict[str, Any]) -> dict:
    if values.get("name", name) != name:
        raise HTTPException(422, f"De naam in de body ({values['name']!r}) wijkt af van die in het pad ({name!r}).")
    before, after = _apply(request, engine, actor, section, name, put_entry(section, name, values), "put")
    if before is None:
        response.status_code = 201
    return after


@router.get("/sources", dependencies=[Depends(read_access)], response_model=Items[ConfigEntry])
def sources_list(request: Request):
    return _listing(request, "sources")


@router.get("/sources/{name}", dependencies=[Depends(read_access)], response_model=ConfigEntry)
def source_view(request: Request, name: str = Path(max_length=100, pattern=NAME)):
    return _one(request, "sources", name)


@router.put("/sources/{name}", responses={201: {"description": "bron toegevoegd"}}, response_model=ConfigEntry)
def source_put(request: Request, response: Response, engine: EngineDep, actor: Writer,
               name: str = Path(max_length=100, pattern=NAME),
               values: dict[str, Any] = Body(..., openapi_examples={"feed": {"value": SOURCE_EXAMPLE}})):
    """Add or replace a source (the fields of a [[sources]] entry; see config/groningen.toml)."""
    return _put(request, response, engine, actor, "sources", name, values)


@router.delete("/sources/{name}", status_code=204)
def source_delete(request: Request, engine: EngineDep, actor: Writer, name: str = Path(max_length=100, pattern=NAME)):
    """Remove a source from the config; its posts stay, its crawls stop."""
    _apply(request, engine, actor, "sources", name, delete_entry("sources", name), "delete")
    return Response(status_code=204)


@router.get("/themes", dependencies=[Depends(read_access)], response_model=Items[ConfigEntry])
def themes_list(request: Request):
    return _listing(request, "themes")


@router.get("/themes/{name}", dependencies=[Depends(read_access)], response_model=ConfigEntry)
def theme_view(request: Request, name: str = Path(max_length=100, pattern=NAME)):
    return _one(request, "themes", name)


@router.put("/themes/{name}", responses={201: {"description": "thema toegevoegd"}}, response_model=ConfigEntry)
def theme_put(request: Request, response: Response, engine: EngineDep, actor: Writer,
              name: str = Path(max_length=100, pattern=NAME),
              values: dict[str, Any] = Body(..., openapi_examples={"afval": {"value": THEME_EXAMPLE}})):
    """Add or replace a theme (terms, page, label); posts are tagged again by the scheduler."""
    return _put(request, response, engine, actor, "themes", name, values)


@router.delete("/themes/{name}", status_code=204)
def theme_delete(request: Request, engine: EngineDep, actor: Writer, name: str = Path(max_length=100, pattern=NAME)):
    """Remove a theme; posts are tagged again by the scheduler."""
    _apply(request, engine, actor, "themes", name, delete_entry("themes", name), "delete")
    return Response(status_code=204)

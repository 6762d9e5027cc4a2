"""The README names everything a user can set, run or call: every setting, CLI command and route."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import typer
from starlette.routing import Mount

from core.config.settings import Settings
from newsroom.app import create_app
from newsroom.cli import app as cli_app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
# FastAPI's own pages: the README points at /docs once, the rest come with it.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_every_setting_is_in_the_readme():
    section = _section("Configuration")
    missing = [f"NEWSROOM_{name.upper()}" for name in Settings.model_fields
               if not re.search(rf"`(NEWSROOM_)?{name.upper()}`", section)]
    assert not missing, (
        f"rule 'every setting is documented': README.md's Configuration section does not name {missing} "
        "(write each as `NAME` after 'prefix `NEWSROOM_`')"
    )


def _commands(command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if hasattr(command, "commands"):  # a group (typer ships its own click)
        found = []
        for name, sub in command.commands.items():
            if not sub.hidden:
                found += _commands(sub, (*path, name))
        return found
    return [path]


def test_every_cli_command_is_in_the_readme():
    rows = [line for line in _section("Commands").splitlines() if line.startswith("| `newsroom ")]
    missing = []
    for path in _commands(typer.main.get_command(cli_app)):
        *group, name = path
        prefix = " ".join(("newsroom", *group))
        # `newsroom model prepare` / `train`: a row of the group names each sub-command in backticks.
        named = any(f"`{prefix} {name}" in row or (group and f"`{prefix} " in row and re.search(rf"`{name}[` ]", row))
                    for row in rows)
        if not named:
            missing.append(" ".join(("newsroom", *path)))
    assert not missing, f"rule 'every command is documented': README.md's command table lacks {missing}"


def _paths(routes) -> set[str]:
    """Every route's path; routers included into the app are walked, mounted static files are not routes."""
    paths = set()
    for route in routes:
        if hasattr(route, "original_router"):
            paths |= _paths(route.original_router.routes)
        elif isinstance(route, Mount):
            continue
        else:
            paths.add(route.path)
    return paths


def test_every_route_is_in_the_readme(tmp_path):
    app = create_app(engine=None, settings=Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    section = _section("Web")
    missing = sorted(path for path in _paths(app.routes) if path not in FRAMEWORK_ROUTES and f"`{path}`" not in section)
    assert not missing, f"rule 'every route is documented': README.md's Web section does not name {missing}"


def test_the_checks_fail_on_a_missing_name(monkeypatch):
    """The checks can fail: a README whose Configuration section lost one name is caught."""
    monkeypatch.setattr(sys.modules[__name__], "README", README.replace("`RUNTIME`", "runtime"))
    with pytest.raises(AssertionError, match="NEWSROOM_RUNTIME"):
        test_every_setting_is_in_the_readme()

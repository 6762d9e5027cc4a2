"""Every package the code imports is declared in pyproject.toml: the rooms' imports in `dependencies`,
the tests' and benchmarks' in `dependencies` plus the `test` extra. An undeclared import works on a
developer's machine (something else pulled it in) and fails on a fresh install.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
ROOMS = [pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
# Needed at run time though never imported by name: trafilatura's HTML cleaner (through justext) imports
# lxml.html.clean, which lxml moved into this separate distribution; without it every article fails.
RUNTIME_ONLY = {"lxml-html-clean"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*groups: str) -> set[str]:
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    return {normalise(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


@cache
def distributions() -> dict[str, list[str]]:
    """Import name -> the installed distributions that provide it (python-dateutil for dateutil...)."""
    return packages_distributions()


def imported(folders: list[Path], local: set[str]) -> dict[str, str]:
    """{top-level third-party module: first file importing it} for the .py files under `folders`."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, path.relative_to(ROOT).as_posix())
    return found


def undeclared(modules: dict[str, str], allowed: set[str]) -> list[str]:
    missing = []
    for module, where in sorted(modules.items()):
        candidates = {normalise(d) for d in distributions().get(module, [])} or {normalise(module)}
        if not candidates & allowed:
            missing.append(f"{module} (imported in {where}; distribution {', '.join(sorted(candidates))})")
    return missing


def test_the_rooms_import_only_declared_dependencies():
    modules = imported([ROOT / room for room in ROOMS], set(ROOMS))
    assert {"fastapi", "scrapy", "lxml"} <= set(modules)  # the scan sees the imports
    assert undeclared(modules, declared()) == []


def test_tests_and_benchmarks_import_only_declared_dependencies():
    local = set(ROOMS) | {"tests", "benchmarks"}
    # Modules the tests import by bare name (their folders, or benchmarks/, put on sys.path).
    local |= {p.stem for folder in ("tests", "benchmarks") for p in (ROOT / folder).rglob("*.py")}
    local |= {p.name for p in (ROOT / "tests").rglob("*") if p.is_dir()}
    modules = imported([ROOT / "tests", ROOT / "benchmarks"], local)
    assert undeclared(modules, declared("test")) == []


@pytest.mark.parametrize("distribution", sorted(RUNTIME_ONLY))
def test_runtime_only_dependencies_are_declared(distribution):
    assert distribution in declared()


def test_trafilatura_can_clean_html():
    import lxml.html.clean  # noqa: F401  # raises ImportError when lxml_html_clean is missing

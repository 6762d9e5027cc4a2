"""Crawl tests: a local HTTP server, a config naming its feeds, and real crawls in child processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from localserver import LocalServer
from sqlalchemy import select

from core.store.db import make_engine
from core.store.schema import crawl_runs, posts, sources
from crawlers.launch import crawl_in_subprocess

# Every crawl test: loopback only, and no politeness delays against our own server.
FAST_ENV = {
    "NEWSROOM_LOOPBACK_ONLY": "true",
    "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
    "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
    "NEWSROOM_CRAWL_DOWNLOAD_TIMEOUT": "10",
    "NEWSROOM_CRAWL_RETRY_TIMES": "1",
}


@pytest.fixture
def server():
    server = LocalServer()
    yield server
    server.close()


@dataclass
class Newsroom:
    """A store and a watch configuration for crawling; `crawl()` runs one real crawl in a child process."""

    db_url: str
    config_path: Path
    write_config: object

    def __post_init__(self) -> None:
        self.engine = make_engine(self.db_url)
        self.env = {**FAST_ENV, "NEWSROOM_DATABASE_URL": self.db_url, "NEWSROOM_CONFIG": str(self.config_path)}

    def sources(self, toml: str) -> None:
        """Configure the sources (TOML [[sources]] tables) after the test config's watch."""
        self.config_path = self.write_config(toml)
        self.env["NEWSROOM_CONFIG"] = str(self.config_path)

    def crawl(self, source: str, timeout: float = 120, **env: str) -> dict:
        return crawl_in_subprocess(source, timeout=timeout, env={**self.env, **env})

    def run_module(self, *args: str, **env: str) -> tuple[int, dict | None, str]:
        """`python -m crawlers.run ARGS` as the scheduler would run it: (exit code, JSON line, stderr)."""
        done = subprocess.run(
            [sys.executable, "-m", "crawlers.run", *args],
            env={**os.environ, **self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = done.stdout.strip().splitlines()
        return done.returncode, (json.loads(lines[-1]) if lines else None), done.stderr

    def posts(self, source: str | None = None) -> list[dict]:
        query = select(posts, sources.c.name.label("source")).join(sources).order_by(posts.c.id)
        if source:
            query = query.where(sources.c.name == source)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def runs(self, source: str) -> list[dict]:
        query = select(crawl_runs).join(sources).where(sources.c.name == source).order_by(crawl_runs.c.id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def state(self, source: str) -> dict:
        with self.engine.connect() as conn:
            return conn.execute(select(sources.c.state).where(sources.c.name == source)).scalar_one()


@pytest.fixture
def newsroom(tmp_path, write_config):
    """SQLite store; the crawl child migrates it itself."""
    room = Newsroom(f"sqlite:///{tmp_path / 'newsroom.db'}", write_config(), write_config)
    yield room
    room.engine.dispose()


@pytest.fixture
def newsroom_on(db_url, write_config):
    """The same on every backend of the `db_url` fixture (SQLite and PostgreSQL)."""
    room = Newsroom(db_url, write_config(), write_config)
    yield room
    room.engine.dispose()


@pytest.fixture(scope="module")
def module_newsroom(tmp_path_factory):
    """module_newsroom(toml) -> a Newsroom on one SQLite store for the whole test module, with `toml` as
    its complete watch configuration. Platform tests crawl several sources (one per test) into it."""
    path = tmp_path_factory.mktemp("newsroom")
    rooms = []

    def make(toml: str) -> Newsroom:
        config = path / "watch.toml"
        config.write_text(textwrap.dedent(toml), encoding="utf-8")
        room = Newsroom(f"sqlite:///{path / 'newsroom.db'}", config, None)
        rooms.append(room)
        return room

    yield make
    for room in rooms:
        room.engine.dispose()


@pytest.fixture(scope="module")
def module_server():
    server = LocalServer()
    yield server
    server.close()

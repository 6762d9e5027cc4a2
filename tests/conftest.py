"""Shared fixtures: a migrated store on SQLite (always) and PostgreSQL (when reachable), configs.

PostgreSQL tests use a schema of their own per test process, so parallel runs on one server don't
collide. Set NEWSROOM_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run them.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine, migrate

# ../shared beside the checkout holds third-party test data that is never committed.
SHARED = Path(__file__).resolve().parents[2] / "shared"

POSTGRES_URL = os.environ.get("NEWSROOM_TEST_POSTGRES_URL", "")

# Every entry point refuses to start without a real pseudonym key (core.config.settings); tests have one.
TEST_PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"
os.environ.setdefault("NEWSROOM_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
_postgres_problem: str | None = None


def _postgres_unavailable() -> str | None:
    global _postgres_problem
    if not POSTGRES_URL:
        return "NEWSROOM_TEST_POSTGRES_URL is not set"
    if _postgres_problem is None:
        try:
            engine = make_engine(POSTGRES_URL)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _postgres_problem = ""
        except Exception as exc:  # any connection failure means: skip, with the reason
            _postgres_problem = f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}: {exc}"
    return _postgres_problem or None


def postgres_url_for_schema(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def _fresh_postgres(schema: str):
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(postgres_url_for_schema(schema))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A URL of an empty, migrated store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'newsroom.db'}"
        engine = make_engine(url)
    else:
        problem = _postgres_unavailable()
        if problem:
            pytest.skip(problem)
        schema = f"t_{os.getpid()}"
        engine = _fresh_postgres(schema)
        url = postgres_url_for_schema(schema)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    """SQLite only, for tests about SQLite behaviour or too slow to repeat on both."""
    engine = make_engine(f"sqlite:///{tmp_path / 'newsroom.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


MINIMAL_CONFIG = """
[watch]
city = "Groningen"
terms = ["Groningen", "Stad", "#groningen"]

[[themes]]
name = "afval"
# "afval*": also as the start of a compound ("afvalinzameling"), see core.matching
terms = ["afval*", "container", "kliko", "grofvuil"]
page = "https://gemeente.groningen.nl/afval"

[[themes]]
name = "parkeren"
terms = ["parkeren", "parkeervergunning", "parkeerplaats"]
page = "https://gemeente.groningen.nl/parkeren"
"""


@pytest.fixture
def write_config(tmp_path):
    """write_config(extra_toml) -> path of a config file: the minimal watch plus `extra_toml`."""

    def write(extra: str = "", name: str = "watch.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(MINIMAL_CONFIG) + "\n" + textwrap.dedent(extra), encoding="utf-8")
        return path

    return write


@pytest.fixture
def config(write_config):
    return load_config(write_config())


@pytest.fixture
def shared_testdata() -> Path:
    path = SHARED / "testdata"
    if not path.exists():
        pytest.skip(f"../shared/testdata is not present beside the project ({path}); third-party test data is not committed")
    return path


@pytest.fixture
def make_client(engine, config, tmp_path):
    """make_client(**settings) -> a TestClient over the app on the test store."""

    def make(**overrides) -> TestClient:
        from newsroom.app import create_app

        settings = Settings(database_url=str(engine.url), config=tmp_path / "watch.toml", **overrides)
        return TestClient(create_app(settings, config, engine), raise_server_exceptions=False)

    return make


@pytest.fixture
def client(make_client):
    return make_client(api_token="geheim")

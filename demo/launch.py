"""What `newsroom demo` sets up around the application: the replay server, the demo's watch
configuration pointing at it, a fresh SQLite store, and settings that keep every crawl on 127.0.0.1."""
from __future__ import annotations

import logging
import os
import secrets
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from string import Template
from typing import Iterator

import tomlkit
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core.config.settings import PROJECT_ROOT, Settings, get_settings
from core.config.watch import WatchConfig, load_config

from .server import ReplayServer

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "demo.toml"
SHIPPED = PROJECT_ROOT / "config" / "groningen.toml"
SQLITE_HEADER = b"SQLite format 3\x00"
# Crawls of a local server need no politeness delays; the settings are read by each crawl process.
CRAWL_ENVIRONMENT = {
    "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
    "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
    "NEWSROOM_CRAWL_AUTOTHROTTLE": "false",
    # The platform sources of demo.toml read their token from this variable, so a real token in the
    # environment is never sent to the replay server.
    "NEWSROOM_DEMO_TOKEN": "demo-token",
}
# Periodic work that runs every few minutes in production runs every minute in the demo, so themes
# and alerts follow the posts as they arrive.
QUICK_JOBS = ("analytics",)
QUICK_INTERVAL = timedelta(minutes=1)


# The workspace accounts every demo has, one per role, all with this password (only the demo does this).
DEMO_ACCOUNTS = ("webcare", "adviseur", "beheer")
DEMO_PASSWORD = "demo"
LOGIN_NOTICE = ("Demo: log in als webcare, adviseur of beheer, elk met het wachtwoord 'demo'. "
                "Een echte installatie heeft geen standaardaccounts.")


class DemoError(Exception):
    """The demo cannot start; the message says why."""


def demo_config(urls: dict[str, str], web: str) -> str:
    """The demo's watch configuration (TOML) for a replay server at `urls` and the web app at `web`:
    demo.toml's sources and settings, with the watch and themes of the shipped configuration."""
    document = tomlkit.parse(Template(TEMPLATE.read_text(encoding="utf-8")).substitute(urls, web=web))
    shipped = tomlkit.parse(SHIPPED.read_text(encoding="utf-8"))
    document["watch"] = shipped["watch"]
    document["themes"] = shipped["themes"]
    return tomlkit.dumps(document)


def create_demo_accounts(database_url: str) -> None:
    """Migrate the demo's fresh store and give it one account per role (DEMO_ACCOUNTS, DEMO_PASSWORD)."""
    from core.store import accounts
    from core.store.db import make_engine, migrate

    engine = make_engine(database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            for role in DEMO_ACCOUNTS:
                if accounts.get_account(conn, role) is None:
                    accounts.create_account(conn, role, role, DEMO_PASSWORD, allow_short_password=True)
    finally:
        engine.dispose()


def fresh_database(path: Path) -> None:
    """Remove the demo's previous SQLite store: every demo starts with an empty one.

    The demo's posts carry times relative to its start and addresses of this run's replay server, so
    a store from an earlier run would mix two demos. Anything that is not a SQLite file is left alone.
    """
    if path.exists():
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) not in (SQLITE_HEADER, b""):
                raise DemoError(f"{path} exists and is not a SQLite database; choose another file with --db")
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        candidate.unlink(missing_ok=True)


def config_beside(database: Path) -> Path:
    """Where the demo's configuration goes: beside its store (newsroom-demo.db.toml), never over another file."""
    path = database.with_name(database.name + ".toml")
    if path.exists():
        first_line = TEMPLATE.read_text(encoding="utf-8").splitlines()[0]
        if path.read_text(encoding="utf-8", errors="replace").splitlines()[:1] != [first_line]:
            raise DemoError(f"{path} exists and is not a demo configuration; choose another file with --db")
    return path


# The demo's own schema in a PostgreSQL database (`newsroom demo --workers`), emptied at each start.
POSTGRES_SCHEMA = "newsroom_demo"


@contextmanager
def start_demo(*, database: Path, speed: float = 1.0, port: int | None = None,
               postgres_url: str | None = None) -> Iterator[tuple[Settings, WatchConfig, ReplayServer]]:
    """Start the replay server and prepare the demo's store, configuration and settings.

    `postgres_url`: run on this PostgreSQL database instead of the SQLite file `database`, in a schema
    of its own (POSTGRES_SCHEMA) that is emptied at the start; the rest of the database is not touched.

    The settings are also put in this process's environment (NEWSROOM_*), so crawl processes and
    anything that reads get_settings() see the demo's store and configuration, never the production ones.
    The demo's configuration is written next to the store (newsroom-demo.db.toml).
    """
    database = database.resolve()
    config_path = config_beside(database)
    if postgres_url:
        from core.store.db import fresh_schema

        database_url = fresh_schema(postgres_url, POSTGRES_SCHEMA)
    else:
        fresh_database(database)
        database_url = f"sqlite:///{database}"
    server = ReplayServer(speed=speed).start()
    try:
        base = Settings()
        web_port = port or base.port
        config_path.write_text(demo_config(server.urls, f"http://{base.host}:{web_port}"), encoding="utf-8")
        settings = base.model_copy(update={
            "database_url": database_url,
            "config": config_path,
            "loopback_only": True,
            "port": web_port,
            # Six crawls at once (more only slow each other's start on a small machine): demo.toml lists
            # one source of every kind first, so that every kind is on the wall within the first minute.
            "crawl_concurrency": max(base.crawl_concurrency, 6),
            "login_notice": LOGIN_NOTICE,
            # A fresh secret per run: the demo's pseudonyms mean nothing outside it.
            "pseudonym_key": secrets.token_hex(32),
        })
        create_demo_accounts(database_url)
        os.environ.update(settings.as_env())
        for name, value in CRAWL_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
        get_settings.cache_clear()
        yield settings, load_config(config_path), server
    finally:
        server.close()


def quicken(scheduler: BaseScheduler) -> None:
    """Run the demo's periodic analytics every minute instead of every few minutes."""
    for job in scheduler.get_jobs():
        trigger = job.trigger
        if job.id in QUICK_JOBS and isinstance(trigger, IntervalTrigger) and trigger.interval > QUICK_INTERVAL:
            job.reschedule(IntervalTrigger(seconds=int(QUICK_INTERVAL.total_seconds()), timezone=trigger.timezone))

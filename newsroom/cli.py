"""The `newsroom` command line (typer). Commands are thin: the work lives in the rooms and core."""
from __future__ import annotations

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from core.config import ConfigError, WatchConfig, load_config
from core.db import make_engine, migrate
from core.settings import Settings, get_settings

app = typer.Typer(help="newsroom: wat er online gezegd wordt over de stad.", no_args_is_help=True)
model_app = typer.Typer(help="Het sentimentmodel: voorbereiden en trainen.", no_args_is_help=True)
app.add_typer(model_app, name="model")
console = Console()
err = Console(stderr=True)


def _load() -> tuple[Settings, WatchConfig]:
    settings = get_settings()
    try:
        config = load_config(settings.config)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]", markup=True, highlight=False)
        raise typer.Exit(2)
    return settings, config


def _store(settings: Settings):
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


@app.command()
def run(
    host: Optional[str] = typer.Option(None, help="luisteradres (standaard NEWSROOM_HOST)"),
    port: Optional[int] = typer.Option(None, help="poort (standaard NEWSROOM_PORT)"),
):
    """The main job: migrate the store, start the scheduler and serve the web app."""
    import uvicorn

    from .app import create_app
    from .jobs import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, config = _load()
    engine = _store(settings)
    scheduler = build_scheduler(settings, config, engine)
    web = create_app(settings, config, engine)
    scheduler.start()
    host, port = host or settings.host, port or settings.port
    console.print(f"newsroom voor {config.watch.city}: http://{host}:{port}/wall — API op http://{host}:{port}/docs")
    try:
        uvicorn.run(web, host=host, port=port, log_level="info")
    finally:
        scheduler.shutdown(wait=False)


@app.command()
def crawl(sources: list[str] = typer.Argument(None, help="bronnen (standaard: alle ingeschakelde)")):
    """Crawl now, once; prints per source: fetched, new, duplicates, errors."""
    from crawlers.run import crawl_in_subprocess

    settings, config = _load()
    names = sources or [s.name for s in config.sources if s.enabled]
    for name in names:
        try:
            config.source(name)
        except KeyError as exc:
            err.print(str(exc.args[0]))
            raise typer.Exit(2)
    _store(settings).dispose()
    env = {**os.environ, **settings.as_env()}
    with ThreadPoolExecutor(max_workers=settings.crawl_concurrency) as pool:
        results = list(pool.map(lambda n: crawl_in_subprocess(n, env=env), names))

    table = Table("bron", "status", "opgehaald", "nieuw", "dubbel", "fouten", "304", "reden")
    for result in results:
        table.add_row(
            result.get("source", "?"), result.get("status", "?"),
            *(str(result.get(k) or 0) for k in ("fetched", "new", "duplicates", "errors", "not_modified")),
            (result.get("error") or "")[:120],
        )
    console.print(table)
    if results and all(r.get("status") != "ok" for r in results):
        raise typer.Exit(1)


@app.command("sources")
def sources_cmd():
    """List sources with their health: last run, last success, posts, errors."""
    from core.store import source_health, sync_sources

    settings, config = _load()
    engine = _store(settings)
    with engine.begin() as conn:
        sync_sources(conn, config)
        health = source_health(conn)
    table = Table("bron", "soort", "elke", "status", "laatste run", "laatst gelukt", "berichten", "fouten", "reden")
    for row in health:
        run = row["last_run"] or {}
        table.add_row(
            row["name"], row["kind"], f"{row['every_seconds'] // 60} min", row["status"],
            _when(run.get("started_at")), _when(row["last_success"]), str(row["posts"]),
            str(run.get("errors", "")), (run.get("error") or "")[:80],
        )
    console.print(table)


def _when(value) -> str:
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())

"""Crawl one configured source, once, in this process: `python -m crawlers.run SOURCE`.

Holds the source's crawl lock (one crawl of a source at a time, on any host; a second gets status
"skipped"), records the run with a heartbeat (start_run ... finish_run) and prints, as the last line
on stdout, one JSON object: {"source", "run_id", "status", "fetched", "new", "duplicates", "errors",
"not_modified", "error", ...}. Exit code 0 when the run is ok, 1 when it failed, 2 for usage or configuration errors.

The application runs crawls through crawlers.launch: Scrapy's reactor cannot restart in one process,
and a crashing crawl must not take the wall down.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from core.config.settings import Settings, get_settings, require_pseudonym_key
from core.config.watch import ConfigError, load_config

logger = logging.getLogger(__name__)

COUNT_KEYS = ("fetched", "new", "duplicates", "errors", "not_modified")
BUSY = "already being crawled by another process"


class Heartbeat(threading.Thread):
    """Tells the store, every HEARTBEAT_EVERY seconds, that run `run_id` is alive, until the block ends;
    a run whose heartbeat stops is taken over by any host (core.store.sources.abandon_stale_runs)."""

    def __init__(self, engine, run_id: int):
        super().__init__(name=f"heartbeat-{run_id}", daemon=True)
        self.engine, self.run_id, self.done = engine, run_id, threading.Event()

    def run(self) -> None:
        from core.store.sources import HEARTBEAT_EVERY, heartbeat

        while not self.done.wait(HEARTBEAT_EVERY):
            try:
                with self.engine.begin() as conn:
                    heartbeat(conn, self.run_id)
            except Exception as exc:  # the store is away for a moment; the next beat may reach it
                logger.warning("heartbeat of crawl run %s failed: %s", self.run_id, exc)

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()


def result(source: str, run_id: int | None, status: str, error: str | None = None, **counts: int) -> dict[str, Any]:
    """The JSON line: the fixed keys first, then any extra counts (requests, filtered)."""
    fixed = {k: counts.pop(k, 0) for k in COUNT_KEYS}
    return {"source": source, "run_id": run_id, "status": status, **fixed, "error": error, **counts}


class Outcome(Exception):
    """The crawl ends before it starts: (exit code, result dict)."""

    def __init__(self, code: int, outcome: dict[str, Any]):
        super().__init__(outcome.get("error"))
        self.code, self.outcome = code, outcome


@dataclass
class Started:
    """A crawl that holds its source's lock and has its run recorded: run the spider, then finish()."""

    job: Any  # crawlers.job.CrawlJob
    run_id: int
    crawl_settings: Any  # crawlers.settings.CrawlSettings
    stack: ExitStack  # the lock and the heartbeat, released by finish()


def begin(source_name: str, settings: Settings, *, engine=None, config=None) -> Started:
    """Take the source's crawl lock and record the run; raises Outcome when there is nothing to crawl.

    `engine` and `config`: a long-lived crawl process (crawlers.server) passes its own, migrated and
    current; a one-shot crawl makes, migrates and disposes of its own engine."""
    # Imported here, not at the top: the launcher imports this module's result() and should not load
    # Scrapy, a Twisted reactor or Alembic for it.
    from sqlalchemy.exc import SQLAlchemyError

    from core.ingest.policy import Ingest
    from core.store.db import make_engine, migrate
    from core.store.locks import exclusive
    from core.store.sources import (
        abandon_stale_runs,
        crawl_lock,
        get_source,
        source_names,
        start_run,
        sync_sources,
    )

    from .job import CrawlJob
    from .settings import CrawlSettings

    try:
        config = config or load_config(settings.config)
        source = config.source(source_name)
        crawl_settings = CrawlSettings()
    except (ConfigError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        raise Outcome(2, result(source_name, None, "failed", message)) from None

    stack = ExitStack()
    # A one-shot crawl brings the sources table up to date with the config it read; a long-lived crawl
    # process leaves that to the scheduler's config reload and adds only a source it doesn't find.
    one_shot = engine is None
    try:
        if one_shot:
            engine = make_engine(settings.database_url)
            stack.callback(engine.dispose)
            migrate(engine)
        with engine.begin() as conn:
            if one_shot or source.name not in source_names(conn):
                sync_sources(conn, config)
            source_row = get_source(conn, source.name)
        # One crawl of a source at a time, across processes and hosts; held until the run is recorded.
        if not stack.enter_context(exclusive(engine, crawl_lock(source.name))):
            raise Outcome(0, result(source.name, None, "skipped", BUSY))
        with engine.begin() as conn:
            abandon_stale_runs(conn, source_row.id, crawl_lock_held=True,
                               error="crawl ended without finishing (its process was killed or lost)")
            run_id = start_run(conn, source_row.id)
    except SQLAlchemyError as exc:
        stack.close()
        raise Outcome(1, result(source.name, None, "failed",
                                f"the store is not usable: {exc.__class__.__name__}: {exc}")) from None
    except BaseException:
        stack.close()
        raise
    stack.enter_context(Heartbeat(engine, run_id))
    job = CrawlJob(source=source, source_row=source_row, ingest=Ingest(config, settings), engine=engine,
                   state=dict(source_row.state or {}))
    return Started(job=job, run_id=run_id, crawl_settings=crawl_settings, stack=stack)


def finish(started: Started, requests: int) -> tuple[int, dict[str, Any]]:
    """Record the run's outcome and state, release the lock; returns (exit code, result dict)."""
    from core.store.sources import finish_run, save_source_state

    job = started.job
    job.counts.requests = requests
    with started.stack:
        if not job.failed and job.store_errors and job.store_errors == job.counts.fetched - job.filtered:
            job.fail(f"no post could be stored ({job.counts.messages[0]})")
        with job.engine.begin() as conn:
            new_state = job.state_to_save()
            if new_state is not None:
                save_source_state(conn, job.source_row.id, new_state)
            finish_run(conn, started.run_id, job.counts, failed=job.failed, error=job.error_text())
    outcome = result(
        job.source.name, started.run_id, "failed" if job.failed else "ok", job.error_text(),
        **job.counts.as_values(), filtered=job.filtered,
    )
    return (1 if job.failed else 0), outcome


def crawl(source_name: str, settings: Settings) -> tuple[int, dict[str, Any]]:
    """Run the crawl in this process; returns (exit code, result dict)."""
    try:
        started = begin(source_name, settings)
    except Outcome as ended:
        return ended.code, ended.outcome
    return finish(started, _run_spider(started.job, started.crawl_settings, settings))


def _run_spider(job, crawl_settings, settings: Settings) -> int:
    """Crawl with the spider of the source's kind; returns the number of requests made."""
    from scrapy.crawler import CrawlerProcess

    from .settings import scrapy_settings
    from .spiders import UnknownKind, spider_class

    try:
        spider_cls = spider_class(job.source.kind)
        process = CrawlerProcess(
            scrapy_settings(crawl_settings, user_agent=settings.user_agent, loopback_only=settings.loopback_only)
        )
        crawler = process.create_crawler(spider_cls)
        process.crawl(crawler, job=job)
        process.start()
    except UnknownKind as exc:
        job.fail(str(exc))
        return 0
    except Exception as exc:  # the crawl machinery itself broke: record it rather than leave a 'running' run
        logger.exception("crawl of %s crashed", job.source.name)
        job.fail(f"crawl crashed: {exc.__class__.__name__}: {exc}")
        return 0
    return int(crawler.stats.get_value("downloader/request_count", 0)) if crawler.stats else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description="Crawl one configured source once.")
    parser.add_argument("source", help="the source's name in the watch configuration")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        require_pseudonym_key(settings)  # an entry point of its own: the same refusal as every role
    except ValueError as exc:
        code, outcome = 2, result(args.source, None, "failed", f"invalid NEWSROOM_ settings: {exc}")
    else:
        code, outcome = crawl(args.source, settings)
    if code == 2:
        print(outcome["error"], file=sys.stderr)
    print(json.dumps(outcome, ensure_ascii=False, default=str), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

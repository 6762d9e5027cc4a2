"""Crawl one configured source, once, in this process: `python -m crawlers.run SOURCE`.

Records the run in the store (start_run ... finish_run) and prints, as the last line on stdout, one
JSON object: {"source", "run_id", "status", "fetched", "new", "duplicates", "errors", "not_modified",
"error", ...}. Exit code 0 when the run is ok, 1 when it failed, 2 for usage or configuration errors.

The application runs each crawl through `crawl_in_subprocess`: Scrapy's reactor cannot restart in
one process, and a crashing crawl must not take the wall down.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.config.settings import Settings, get_settings
from core.config.watch import ConfigError, load_config

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COUNT_KEYS = ("fetched", "new", "duplicates", "errors", "not_modified")
# Seconds a crawl gets beyond its own time limit to stop by itself before it is killed: stopping
# waits for downloads in flight, which end at the latest after DOWNLOAD_TIMEOUT.
GRACE = 60.0


def result(source: str, run_id: int | None, status: str, error: str | None = None, **counts: int) -> dict[str, Any]:
    """The JSON line: the fixed keys first, then any extra counts (requests, filtered)."""
    fixed = {k: counts.pop(k, 0) for k in COUNT_KEYS}
    return {"source": source, "run_id": run_id, "status": status, **fixed, "error": error, **counts}


def crawl(source_name: str, settings: Settings) -> tuple[int, dict[str, Any]]:
    """Run the crawl; returns (exit code, result dict)."""
    # Imported here, not at the top: the application imports this module for crawl_in_subprocess
    # and should not load Scrapy, a Twisted reactor or Alembic for it.
    from sqlalchemy.exc import SQLAlchemyError

    from core.ingest.policy import Ingest
    from core.store.db import make_engine, migrate
    from core.store.sources import (
        abandon_stale_runs,
        finish_run,
        get_source,
        save_source_state,
        start_run,
        sync_sources,
    )

    from .job import CrawlJob
    from .settings import CrawlSettings

    try:
        config = load_config(settings.config)
        source = config.source(source_name)
        crawl_settings = CrawlSettings()
    except (ConfigError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        return 2, result(source_name, None, "failed", message)

    engine = None
    try:
        engine = make_engine(settings.database_url)
        migrate(engine)
        with engine.begin() as conn:
            sync_sources(conn, config)
            source_row = get_source(conn, source.name)
            abandon_stale_runs(conn, source_row.id)
            run_id = start_run(conn, source_row.id)
    except SQLAlchemyError as exc:
        if engine is not None:
            engine.dispose()
        return 1, result(source.name, None, "failed", f"the store is not usable: {exc.__class__.__name__}: {exc}")

    job = CrawlJob(
        source=source, source_row=source_row, ingest=Ingest(config, settings), engine=engine,
        state=dict(source_row.state or {}),
    )
    job.counts.requests = _run_spider(job, crawl_settings, settings)
    if not job.failed and job.store_errors and job.store_errors == job.counts.fetched - job.filtered:
        job.fail(f"no post could be stored ({job.counts.messages[0]})")
    with engine.begin() as conn:
        new_state = job.state_to_save()
        if new_state is not None:
            save_source_state(conn, source_row.id, new_state)
        finish_run(conn, run_id, job.counts, failed=job.failed, error=job.error_text())
    engine.dispose()
    outcome = result(
        source.name, run_id, "failed" if job.failed else "ok", job.error_text(),
        **job.counts.as_values(), filtered=job.filtered,
    )
    return (1 if job.failed else 0), outcome


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
    except ValueError as exc:
        code, outcome = 2, result(args.source, None, "failed", f"invalid NEWSROOM_ settings: {exc}")
    else:
        code, outcome = crawl(args.source, settings)
    if code == 2:
        print(outcome["error"], file=sys.stderr)
    print(json.dumps(outcome, ensure_ascii=False, default=str), flush=True)
    return code


# --- for the application -------------------------------------------------------------------------

def crawl_in_subprocess(source: str, *, timeout: float = 900, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Crawl `source` in a child process (`python -m crawlers.run SOURCE`) and return its result dict.

    `env` is added to this process's environment. The child stops itself after `timeout` seconds
    (a failed run, with what it stored so far kept); if it hangs beyond that it is killed and its run
    recorded as failed here. A child that dies without its JSON line gives
    {"source", "status": "failed", "error": <why, with the last lines it logged>}.
    """
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), child_env.get("PYTHONPATH", "")) if p)
    child_env["NEWSROOM_CRAWL_TIME_LIMIT"] = f"{timeout:g}"
    child = subprocess.Popen(
        [sys.executable, "-m", "crawlers.run", source],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    killed = False
    try:
        stdout, stderr = child.communicate(timeout=timeout + GRACE)
    except subprocess.TimeoutExpired:
        killed = True
        child.send_signal(signal.SIGTERM)  # Scrapy stops gracefully and still records the run
        try:
            stdout, stderr = child.communicate(timeout=GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            stdout, stderr = child.communicate()
    outcome = _last_json_line(stdout)
    if outcome is not None:
        if killed:
            outcome["error"] = f"timed out after {timeout:g} s; " + (outcome.get("error") or "")
        return outcome
    tail = "\n".join(stderr.strip().splitlines()[-15:])
    if killed:
        reason = f"crawl process killed: no result {timeout + GRACE:g} s after it started"
    else:
        reason = f"crawl process exited with code {child.returncode} without a result"
    run_id = _record_crash(source, reason, child_env)
    return result(source, run_id, "failed", f"{reason}\n{tail}".strip())


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _record_crash(source: str, reason: str, env: dict[str, str]) -> int | None:
    """Mark the dead child's run failed with `reason`; returns its id when there is one."""
    from core.store.db import make_engine
    from core.store.sources import abandon_stale_runs, get_source, latest_run

    overrides = {k[len("NEWSROOM_"):].lower(): v for k, v in env.items() if k.startswith("NEWSROOM_")}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if k in Settings.model_fields})
        engine = make_engine(settings.database_url)
        try:
            with engine.begin() as conn:
                row = get_source(conn, source)
                abandon_stale_runs(conn, row.id, error=reason)
                run = latest_run(conn, row.id)
        finally:
            engine.dispose()
    except Exception as exc:  # the store may be the reason the child died; the caller still gets a result
        logger.warning("could not record the failed crawl of %s: %s", source, exc)
        return None
    return run.id if run is not None else None


if __name__ == "__main__":
    sys.exit(main())

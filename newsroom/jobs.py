"""The APScheduler jobs of `newsroom run`: one crawl job per source, plus the periodic work.

Crawls run as child processes (crawlers.run), one at a time per source (max_instances=1), misfires
coalesced. The first run of each source after a (re)start is due one interval after its last run in
the store, so a restart picks up where it left off instead of crawling everything at once.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from core.config import WatchConfig
from core.schema import utcnow
from core.settings import Settings
from core.store import abandon_stale_runs, get_source, latest_run, sync_sources
from crawlers.run import crawl_in_subprocess

log = logging.getLogger(__name__)

CRAWL_PREFIX = "crawl:"


def crawl_job(source: str, env: dict[str, str]) -> dict:
    result = crawl_in_subprocess(source, env=env)
    log.info(
        "crawl %s: %s fetched=%s new=%s duplicates=%s errors=%s%s",
        source, result.get("status"), result.get("fetched"), result.get("new"), result.get("duplicates"),
        result.get("errors"), f" ({result['error']})" if result.get("error") else "",
    )
    return result


def first_due(engine: Engine, source: str, every: timedelta) -> datetime:
    """When the source is next due: one interval after its last run, or now if that has passed."""
    with engine.connect() as conn:
        run = latest_run(conn, get_source(conn, source).id)
    now = utcnow()
    if run is None:
        return now
    return max(now, run.started_at + every)


def schedule_sources(scheduler: BackgroundScheduler, settings: Settings, engine: Engine, config: WatchConfig) -> None:
    """Add, update or remove crawl jobs so they match the config; safe to call again after a change."""
    with engine.begin() as conn:
        sync_sources(conn, config)
        abandon_stale_runs(conn)
    wanted = {s.name: s for s in config.sources if s.enabled}
    for job in scheduler.get_jobs():
        if job.id.startswith(CRAWL_PREFIX) and job.id[len(CRAWL_PREFIX):] not in wanted:
            job.remove()
    for name, source in wanted.items():
        trigger = IntervalTrigger(seconds=int(source.interval.total_seconds()),
                                  start_date=first_due(engine, name, source.interval))
        scheduler.add_job(
            crawl_job, trigger, args=[name, {**os.environ, **settings.as_env()}], id=CRAWL_PREFIX + name, name=f"crawl {name}",
            replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=None,
        )


def build_scheduler(settings: Settings, config: WatchConfig, engine: Engine) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        executors={
            "default": ThreadPoolExecutor(max_workers=settings.crawl_concurrency),
            "work": ThreadPoolExecutor(max_workers=2),
        },
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.timezone),
    )
    schedule_sources(scheduler, settings, engine, config)
    return scheduler

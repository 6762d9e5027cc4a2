"""The scaled-out roles: newsroom's work as procrastinate tasks on PostgreSQL (`newsroom worker`).

procrastinate keeps its queue in the same PostgreSQL as the store (its schema is applied by
core.store.db.migrate), so a region needs no other server. Its periodic tasks are the scheduler: every
worker offers them and the engine defers each tick once, so there is no separate scheduler role.

Queues, to specialise workers with `newsroom worker --queues`:
- `crawl`: one job per source crawl, with the source's lock (never two crawls of one source at a time)
  and queueing lock (at most one waiting); the crawl itself also holds its store lock (crawlers.run).
- `score`: sentiment scoring; jobs run side by side on several workers, each claiming its own batches.
- `work`: planning crawls, themes and alerts, alert delivery, retention, the newsletter, taking
  back the jobs of workers that died (`kill -9`, a lost machine) so another worker runs them again,
  and deleting the queue's own finished jobs after a week (prune_jobs).

The work itself is the same functions `newsroom run` schedules with APScheduler (newsroom.jobs), with
the same once-only guarantees, so both ways can even run side by side on one store.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Engine

from core.config.file import ConfigFile
from core.config.settings import Settings
from core.config.watch import WatchConfig
from core.store.db import libpq_url
from core.store.schema import utcnow
from core.store.sources import crawl_lock, get_source, latest_run, sync_sources

from . import jobs
from .healthcheck import alive_file

log = logging.getLogger(__name__)

QUEUES = ("crawl", "score", "work")
# A job whose worker sent no heartbeat for this long is run again by another worker.
STALLED_AFTER = 30.0
# A worker touches its alive file this often (newsroom.healthcheck reads its age).
ALIVE_EVERY = 5.0
tasks = procrastinate.Blueprint()


@dataclass
class Context:
    settings: Settings
    engine: Engine
    config_file: ConfigFile
    started: datetime
    crawl_slots: int = 2
    synced: WatchConfig | None = None  # the config the sources table was last brought in line with


_context: Context | None = None


def make_app(settings: Settings, *, pool_size: int = 4) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=libpq_url(settings.database_url), min_size=1,
                                               max_size=pool_size)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks, namespace="newsroom")
    app.periodic(cron=every(settings.analytics_every), periodic_id="analytics")(analytics)
    return app


def every(seconds: int) -> str:
    """A cron line (procrastinate's, with seconds) for 'every `seconds` seconds', to the nearest one
    that divides a minute or an hour evenly."""
    if seconds < 60:
        step = next(s for s in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if s >= seconds)
        return f"* * * * * */{step}" if step < 60 else "* * * * *"
    step = next(m for m in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if m * 60 >= seconds)
    return f"*/{step} * * * *" if step < 60 else "0 * * * *"


def configure(context: Context) -> None:
    """What the tasks of this process work with; set once by the worker before it starts."""
    global _context
    _context = context


def _ctx() -> Context:
    if _context is None:
        raise RuntimeError("newsroom.tasks: configure() was not called in this worker")
    return _context


# --- crawling ------------------------------------------------------------------------------------

@tasks.task(name="crawl", queue="crawl")
def crawl(source: str, planned: bool = False) -> dict:
    """Crawl in one of this worker's long-lived crawl processes (one per concurrency slot).

    `planned`: queued by plan_crawls because the source was due. A crawl that ran since (one that had
    started but not yet recorded its run when the plan looked) makes it due no more: skipped."""
    ctx = _ctx()
    if planned and not _due(ctx, source, retry=True):
        return {"source": source, "status": "skipped", "error": "crawled since it was planned"}
    return jobs.crawl_job(source, ctx.settings.as_env(), ctx.crawl_slots)


def _due(ctx: Context, name: str, now: datetime | None = None, *, retry: bool = False) -> bool:
    """Never crawled, or its interval has passed since its last run started; with `retry` also when
    that run failed or never finished (its worker died: this job is the one run again)."""
    try:
        source = ctx.config_file.current().source(name)
    except KeyError:
        return True  # the crawl reports the unknown source
    with ctx.engine.connect() as conn:
        run = latest_run(conn, get_source(conn, name).id)
    if run is None or (retry and run.status != "ok"):
        return True
    return run.started_at + source.interval <= (now or utcnow())


def defer_crawl(app: procrastinate.App, source: str, *, planned: bool = False) -> bool:
    """Queue a crawl of `source`; False when one is already waiting."""
    lock = crawl_lock(source)
    try:
        app.configure_task("newsroom:crawl", lock=lock, queueing_lock=lock).defer(source=source, planned=planned)
    except AlreadyEnqueued:
        return False
    return True


@tasks.periodic(cron="* * * * * */15", periodic_id="plan")
@tasks.task(name="plan_crawls", queue="work", pass_context=True, queueing_lock="plan_crawls")
def plan_crawls(context, timestamp: int) -> list[str]:
    return plan(context.app)


def plan(app: procrastinate.App, now: datetime | None = None) -> list[str]:
    """Queue a crawl of every enabled source whose interval has passed since its last run started;
    returns the sources queued (a source with a crawl already waiting is not queued twice)."""
    ctx = _ctx()
    config = ctx.config_file.current()
    now = now or utcnow()
    if config != ctx.synced:
        with ctx.engine.begin() as conn:
            sync_sources(conn, config)
        ctx.synced = config
    due = [source.name for source in config.sources if source.enabled and _due(ctx, source.name, now)]
    return [name for name in due if defer_crawl(app, name, planned=True)]


# --- scoring, analytics, alerts, retention, newsletter -------------------------------------------

_scorer: jobs.ScoringJob | None = None
_scoring = threading.Lock()


@tasks.periodic(cron="* * * * * */5", periodic_id="score")
@tasks.task(name="score", queue="score", queueing_lock="score")
def score(timestamp: int) -> int:
    """Score what is pending. Workers score side by side, each claiming its own batches
    (sentiment.worker), so they share a backlog without scoring a post twice; within one worker a
    second scoring job ends at once instead of taking a slot from the crawls."""
    global _scorer
    if not _scoring.acquire(blocking=False):
        return 0
    try:
        if _scorer is None:
            ctx = _ctx()
            _scorer = jobs.ScoringJob(ctx.settings, ctx.engine)
        return _scorer()
    finally:
        _scoring.release()


@tasks.task(name="analytics", queue="work", queueing_lock="analytics")
def analytics(timestamp: int) -> list[int]:
    """Offered every NEWSROOM_ANALYTICS_EVERY seconds (make_app)."""
    ctx = _ctx()
    return jobs.analytics_job(ctx.engine, ctx.config_file.current(), ctx.settings.timezone)


@tasks.periodic(cron="* * * * *", periodic_id="alerts")
@tasks.task(name="alerts", queue="work", queueing_lock="alerts")
def alerts(timestamp: int) -> int:
    ctx = _ctx()
    return len(jobs.alerts_job(ctx.engine, ctx.config_file.current(), ctx.settings, ctx.started))


@tasks.periodic(cron="30 * * * *", periodic_id="retention")
@tasks.task(name="retention", queue="work", queueing_lock="retention")
def retention(timestamp: int) -> dict[str, int]:
    """Offered every hour; jobs.retention_job does the work once per local day."""
    ctx = _ctx()
    return jobs.retention_job(ctx.engine, ctx.config_file.current(), ctx.settings.timezone)


@tasks.periodic(cron="*/15 * * * *", periodic_id="newsletter")
@tasks.task(name="newsletter", queue="work", queueing_lock="newsletter")
def newsletter(timestamp: int) -> str | None:
    ctx = _ctx()
    config = ctx.config_file.current()
    if not config.newsletter.recipients or not ctx.settings.smtp_url:
        return None
    return jobs.newsletter_job(ctx.engine, config, ctx.settings)


# --- the queue's own housekeeping ----------------------------------------------------------------

# Finished jobs a worker did not delete (failed, cancelled, aborted; successful ones go when they end,
# run_worker) are kept this long for inspection (`procrastinate`'s shell, /metrics' failures), then
# deleted with their events, so the queue's tables stay small.
JOBS_KEPT_HOURS = 7 * 24


@tasks.periodic(cron="45 3 * * *", periodic_id="prune_jobs")
@tasks.task(name="prune_jobs", queue="work", pass_context=True, queueing_lock="prune_jobs")
async def prune_jobs(context, timestamp: int) -> None:
    await prune_finished_jobs(context.app)


async def prune_finished_jobs(app: procrastinate.App, hours: int = JOBS_KEPT_HOURS) -> None:
    """Delete the jobs that ended (in any final state) more than `hours` ago, with their events."""
    await app.job_manager.delete_old_jobs(nb_hours=hours, include_failed=True, include_cancelled=True,
                                          include_aborted=True)


# --- workers that died ---------------------------------------------------------------------------

@tasks.periodic(cron="* * * * * */20", periodic_id="recover")
@tasks.task(name="recover", queue="work", pass_context=True, queueing_lock="recover")
async def recover(context, timestamp: int) -> int:
    """Run again the jobs of workers whose heartbeat stopped (killed, or their machine lost)."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER))
    for job in stalled:
        log.warning("job %s (%s) of a worker that stopped: running it again", job.id, job.task_name)
        await manager.retry_job(job, retry_at=utcnow() + timedelta(seconds=1))
    return len(stalled)


def run_worker(settings: Settings, *, queues: list[str] | None = None, concurrency: int = 2,
               name: str | None = None) -> None:
    """Run one worker until SIGINT/SIGTERM: jobs of `queues` (all when None), `concurrency` at a time."""
    from core.store.db import make_engine, migrate

    engine = make_engine(settings.database_url, pool_size=concurrency + 2)
    migrate(engine)
    configure(Context(settings=settings, engine=engine, config_file=ConfigFile(settings.config),
                      started=utcnow(), crawl_slots=concurrency))
    app = make_app(settings, pool_size=concurrency + 4)

    async def work() -> None:
        async with app.open_async():
            alive = asyncio.create_task(keep_alive(app, alive_file(os.getpid())))
            try:
                await app.run_worker_async(queues=queues, concurrency=concurrency, name=name,
                                           delete_jobs="successful", update_heartbeat_interval=5,
                                           stalled_worker_timeout=STALLED_AFTER)
            finally:
                alive.cancel()
                alive_file(os.getpid()).unlink(missing_ok=True)
    try:
        asyncio.run(work())
    finally:
        jobs.close_crawl_pools()
        engine.dispose()


async def keep_alive(app: procrastinate.App, path: Path) -> None:
    """Touch `path` every ALIVE_EVERY seconds while the task queue answers: a worker serves no port, so
    its health check reads the file's age. A hung event loop or a lost queue leaves it to go stale."""
    while True:
        try:
            answers = await app.check_connection_async()
        except Exception:  # the queue is down: the file goes stale, the health check says so
            log.warning("the task queue does not answer", exc_info=True)
            answers = False
        if answers:
            try:
                path.touch()
            except OSError as exc:  # a read-only /tmp: the health check cannot see this worker
                log.warning("cannot touch %s for the health check: %s", path, exc)
        await asyncio.sleep(ALIVE_EVERY)

"""The APScheduler jobs of `newsroom run`: one crawl job per source, plus the periodic work.

Crawls run in long-lived child processes (crawlers.launch.CrawlPool), one at a time per source
(max_instances=1 here, and the source's crawl lock across processes and hosts), misfires coalesced.
The first run of each source after a (re)start is due one interval after its last run in
the store, so a restart picks up where it left off instead of crawling everything at once.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from alerting.deliver import deliver_pending
from core.analytics.emerging import run_alerts
from core.config.file import ConfigFile
from core.config.settings import Settings
from core.config.watch import WatchConfig
from core.ingest.themes import retag_if_changed, tag_new_posts
from core.store.alerts import check_sources
from core.store.locks import exclusive, once
from core.store.retention import apply_retention
from core.store.schema import utcnow
from core.store.scores import current_scorer, record_scorer
from core.store.sources import abandon_stale_runs, get_source, latest_run, sync_sources
from crawlers.launch import CrawlPool
from newsletter.deliver import send_due
from sentiment.scoring import load_scorer
from sentiment.worker import rescore_stale, score_pending

log = logging.getLogger(__name__)

CRAWL_PREFIX = "crawl:"
# Set when the application stops (Ctrl-C): crawls still waiting for a thread then do not start.
stopping = threading.Event()


_pools: dict[tuple, CrawlPool] = {}
_pools_lock = threading.Lock()


def crawl_pool(env: dict[str, str], size: int | None = None) -> CrawlPool:
    """The long-lived crawl processes of this process for these settings: NEWSROOM_CRAWL_CONCURRENCY
    of them (or `size`), started on first use and shared by every crawl job."""
    size = size or int(env.get("NEWSROOM_CRAWL_CONCURRENCY", "2"))
    key = (tuple(sorted(env.items())), size)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = CrawlPool(size, env)
        return _pools[key]


def close_crawl_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def crawl_job(source: str, env: dict[str, str], pool_size: int | None = None) -> dict:
    if stopping.is_set():
        log.info("crawl %s: not started, the application is stopping", source)
        return {"source": source, "status": "skipped"}
    result = crawl_pool(env, pool_size).crawl(source)
    log.info(
        "crawl %s: %s fetched=%s new=%s duplicates=%s errors=%s%s",
        source, result.get("status"), result.get("fetched"), result.get("new"), result.get("duplicates"),
        result.get("errors"), f" ({result['error']})" if result.get("error") else "",
    )
    return result


def analytics_job(engine: Engine, config: WatchConfig, tz: str = "Europe/Amsterdam") -> list[int]:
    """Tag posts with the themes (all of them again when the themes changed), then open alerts (their
    baseline follows the days and hours of `tz`, NEWSROOM_TIMEZONE)."""
    with engine.begin() as conn:
        if not retag_if_changed(conn, config.themes):
            tag_new_posts(conn, config.themes)
    with engine.begin() as conn:
        opened = run_alerts(conn, config, tz=tz)
    if opened:
        log.info("analytics: opened alerts %s", opened)
    return opened


def alerts_job(engine: Engine, config: WatchConfig, settings: Settings, started: datetime) -> list[dict]:
    """Open source-health alerts for silent sources (and resolve recovered ones), then deliver new
    alerts by e-mail and webhook (alerting.deliver: routes, quiet hours, cooldown)."""
    with engine.begin() as conn:
        changes = check_sources(conn, config, tz=ZoneInfo(settings.timezone), awake_since=started)
    if changes["opened"] or changes["resolved"]:
        log.info("source health: opened alerts %s, resolved %s", changes["opened"], changes["resolved"])
    reports = deliver_pending(engine, config, settings)
    for report in reports:
        if report["sent"] or report["failed"]:
            log.info("alert %s: sent to %s, failed %s", report["id"], report["sent"], report["failed"])
    return reports


def reload_config_job(scheduler: BackgroundScheduler, settings: Settings, engine: Engine,
                      config_file: ConfigFile, held: WatchConfig | None = None) -> bool:
    """Follow the watch configuration file (changed through the API or by hand) without a restart:
    reschedule the crawls and the newsletter, hand every job that takes the config the new one, and
    run those at once (the analytics job re-tags posts when the themes changed).

    `held`: the config the jobs hold now (this job's own argument, replaced with the others'). With
    it, a change that the web app sharing `config_file` has already read is seen here too."""
    reloaded = config_file.reload()
    config = config_file.config
    if (config == held) if held is not None else not reloaded:
        return False
    log.info("watch configuration changed: %d sources, %d themes", len(config.sources), len(config.themes))
    schedule_sources(scheduler, settings, engine, config)
    schedule_newsletter(scheduler, settings, config, engine)
    for job in scheduler.get_jobs():
        if any(isinstance(arg, WatchConfig) for arg in job.args):
            job.modify(args=[config if isinstance(arg, WatchConfig) else arg for arg in job.args],
                       next_run_time=utcnow())
    return True


class ScoringJob:
    """Scores new posts every few seconds. The model loads on the first run, in the scheduler's
    scoring thread, so the web server is up at once; each run scores what arrived since the last.

    Once the new posts are scored, a run spends at most `rescore_seconds` making anew, in batches of
    `rescore_batch`, scores an older model version made (sentiment.worker.rescore_stale): a backlog
    of those never delays new posts by more than that, and leaves the scoring thread idle most of
    each interval. Only the model started last does so (core.store.scores.current_scorer): while
    workers are replaced one by one, those still on the previous model do not score back the posts
    the new one did."""

    def __init__(self, settings: Settings, engine: Engine):
        self.settings, self.engine, self.scorer = settings, engine, None

    # Posts scored between two looks at `stopping`: stopping the application waits for a few batches at most.
    chunk = 64
    rescore_seconds = 2.0
    rescore_batch = 16

    def __call__(self) -> int:
        if stopping.is_set():
            return 0
        if self.scorer is None:
            scorer = load_scorer(self.settings)
            log.info("sentiment model %s %s loaded", scorer.model_id, scorer.model_version)
            with self.engine.begin() as conn:  # what source health counts older scores against
                record_scorer(conn, scorer.model_id, scorer.model_version)
            self.scorer = scorer
        scored = 0
        while not stopping.is_set():
            done = score_pending(self.engine, self.scorer, limit=self.chunk)
            scored += done
            if done < self.chunk:
                break
        if scored:
            log.info("scored %d posts", scored)
        self.rescore()
        return scored

    def rescore(self) -> int:
        """Some scores of an older model made anew, for up to `rescore_seconds`; returns how many."""
        assert self.scorer is not None
        with self.engine.connect() as conn:
            if current_scorer(conn) != (self.scorer.model_id, self.scorer.model_version):
                return 0
        deadline, done = time.monotonic() + self.rescore_seconds, 0
        while not stopping.is_set() and time.monotonic() < deadline:
            batch = rescore_stale(self.engine, self.scorer, batch_size=self.rescore_batch, limit=self.rescore_batch)
            done += batch
            if batch < self.rescore_batch:
                break
        return done


def retention_job(engine: Engine, config: WatchConfig, timezone: str = "Europe/Amsterdam") -> dict[str, int]:
    """Delete posts past their retention period (core.retention); counts stay as anonymous aggregates.

    Once a day (local date), however many processes and hosts run this job: the first does it, in one
    transaction with the mark that it was done."""
    with engine.begin() as conn:
        if not once(conn, "retention", utcnow().astimezone(ZoneInfo(timezone)).date().isoformat()):
            return {}
        deleted = apply_retention(conn, config)
    if any(deleted.values()):
        log.info("retention: deleted %s", deleted)
    return deleted


def newsletter_job(engine: Engine, config: WatchConfig, settings: Settings,
                   now: datetime | None = None) -> str | None:
    """Send last week's newsletter when due (newsletter.deliver.send_due, which claims the week before
    sending); one process at a time builds and sends, so no two hosts build the same week at once."""
    with exclusive(engine, "newsletter") as mine:
        return send_due(engine, config, settings, now=now) if mine else None


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
        scheduler.add_job(
            crawl_job, IntervalTrigger(seconds=int(source.interval.total_seconds())),
            args=[name, settings.as_env()], id=CRAWL_PREFIX + name, name=f"crawl {name}",
            next_run_time=first_due(engine, name, source.interval),
            replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=None,
        )


def schedule_newsletter(scheduler: BackgroundScheduler, settings: Settings, config: WatchConfig,
                        engine: Engine) -> None:
    """The weekly newsletter: sent at config.newsletter.send_day/send_time (default Monday 08:00 local).

    The job wakes every 15 minutes, on the send time's own quarter (08:00, 08:15, ...), and sends last
    week's newsletter when it is due and not sent yet (newsletter.deliver.send_due): on time, and again
    15 minutes later when the mail server was down, or soon after a restart that missed the send time.
    """
    if not config.newsletter.recipients or not settings.smtp_url:
        log.info("weekly newsletter not scheduled: %s", "no [newsletter] recipients configured"
                 if not config.newsletter.recipients else "NEWSROOM_SMTP_URL is not set")
        if scheduler.get_job("newsletter"):
            scheduler.remove_job("newsletter")
        return
    minute = int(config.newsletter.send_time.split(":")[1])
    scheduler.add_job(
        newsletter_job, CronTrigger(minute=f"{minute % 15}-59/15", timezone=ZoneInfo(settings.timezone)),
        args=[engine, config, settings], id="newsletter", name="weekly newsletter", executor="work",
        replace_existing=True, misfire_grace_time=None,
    )


def build_scheduler(settings: Settings, config: WatchConfig, engine: Engine,
                    config_file: ConfigFile | None = None) -> BackgroundScheduler:
    """All of newsroom's work in this process. `config_file`: the watcher the web app of this process
    uses too (one watcher per process), or None for one of its own."""
    scheduler = BackgroundScheduler(
        executors={
            "default": ThreadPoolExecutor(max_workers=settings.crawl_concurrency),
            "work": ThreadPoolExecutor(max_workers=2),
            "scoring": ThreadPoolExecutor(max_workers=1),
        },
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.timezone),
    )
    schedule_sources(scheduler, settings, engine, config)
    scheduler.add_job(
        analytics_job, IntervalTrigger(seconds=settings.analytics_every), args=[engine, config, settings.timezone], id="analytics", name="themes and alerts",
        executor="work", replace_existing=True, next_run_time=utcnow(),
    )
    scheduler.add_job(
        ScoringJob(settings, engine), IntervalTrigger(seconds=5), id="scoring", name="sentiment scoring",
        executor="scoring", replace_existing=True, next_run_time=utcnow(),
    )
    scheduler.add_job(
        retention_job, CronTrigger(hour=3, minute=30, timezone=ZoneInfo(settings.timezone)),
        args=[engine, config, settings.timezone],
        id="retention", name="retention", executor="work", replace_existing=True, next_run_time=utcnow(),
    )
    schedule_newsletter(scheduler, settings, config, engine)
    scheduler.add_job(
        alerts_job, IntervalTrigger(minutes=1), args=[engine, config, settings, utcnow()], id="alerts",
        name="source health and alert delivery", executor="work", replace_existing=True,
    )
    scheduler.add_job(
        reload_config_job, IntervalTrigger(seconds=15),
        args=[scheduler, settings, engine, config_file or ConfigFile(settings.config, config), config], id="config",
        name="follow the watch configuration", executor="work", replace_existing=True,
    )
    return scheduler

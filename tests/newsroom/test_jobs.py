from datetime import timedelta

from sqlalchemy import update

from core.config.settings import Settings
from core.config.watch import parse_config
from core.store.schema import crawl_runs, utcnow
from core.store.sources import (
    RunCounts,
    finish_run,
    get_source,
    start_run,
    sync_sources,
)
from newsroom.jobs import CRAWL_PREFIX, build_scheduler, schedule_sources


def _config(*sources):
    return parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "sources": [{"name": n, "kind": "feed", "url": f"https://{n}.example/rss", "every": every} for n, every in sources],
    })


def _crawl_jobs(scheduler):
    return {job.id[len(CRAWL_PREFIX):]: job for job in scheduler.get_jobs() if job.id.startswith(CRAWL_PREFIX)}


def test_one_job_per_source_never_overlapping(engine):
    settings = Settings(database_url=str(engine.url))
    scheduler = build_scheduler(settings, _config(("oogtv", "10m"), ("sikkom", "1h")), engine)
    jobs = _crawl_jobs(scheduler)
    assert set(jobs) == {"oogtv", "sikkom"}
    assert jobs["oogtv"].trigger.interval == timedelta(minutes=10)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_restart_picks_up_where_it_left_off(engine):
    config = _config(("oogtv", "10m"), ("sikkom", "1h"))
    with engine.begin() as conn:
        sync_sources(conn, config)
        run = start_run(conn, get_source(conn, "oogtv").id)
        finish_run(conn, run, RunCounts(fetched=1, new=1), failed=False)
        started = utcnow() - timedelta(minutes=4)
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == run).values(started_at=started))
    scheduler = build_scheduler(Settings(database_url=str(engine.url)), config, engine)
    scheduler.start(paused=True)
    try:
        jobs = _crawl_jobs(scheduler)
        # oogtv ran 4 minutes ago: next due 6 minutes from now, not immediately
        due = jobs["oogtv"].next_run_time - utcnow()
        assert timedelta(minutes=5) < due <= timedelta(minutes=6, seconds=5)
        # sikkom never ran: due now
        assert jobs["sikkom"].next_run_time - utcnow() < timedelta(seconds=5)
    finally:
        scheduler.shutdown(wait=False)


def test_config_change_reschedules_without_restart(engine):
    settings = Settings(database_url=str(engine.url))
    scheduler = build_scheduler(settings, _config(("oogtv", "10m"), ("sikkom", "1h")), engine)
    schedule_sources(scheduler, settings, engine, _config(("oogtv", "5m"), ("ukrant", "30m")))
    jobs = _crawl_jobs(scheduler)
    assert set(jobs) == {"oogtv", "ukrant"}
    assert jobs["oogtv"].trigger.interval == timedelta(minutes=5)

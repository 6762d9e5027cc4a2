"""The task queue prunes itself: jobs that ended more than a week ago go, with their events (on the
real PostgreSQL, through procrastinate)."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from core.config.settings import Settings
from newsroom.tasks import JOBS_KEPT_HOURS, make_app, prune_finished_jobs

pytestmark = pytest.mark.postgres


def test_finished_jobs_older_than_a_week_are_deleted(engine, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the task queue lives in PostgreSQL")
    app = make_app(Settings(database_url=db_url), pool_size=2)

    async def defer_and_prune() -> None:
        async with app.open_async():
            crawl = app.configure_task("newsroom:crawl")
            ids = {name: await crawl.defer_async(source=name) for name in ("oud-mislukt", "nieuw-mislukt", "wacht")}
            with engine.begin() as conn:
                for name in ("oud-mislukt", "nieuw-mislukt"):  # as a worker leaves a job that failed
                    conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"), {"id": ids[name]})
                    conn.execute(text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"), {"id": ids[name]})
                conn.execute(text("UPDATE procrastinate_events SET at = at - make_interval(hours => :h) WHERE job_id = :id"),
                             {"h": JOBS_KEPT_HOURS + 1, "id": ids["oud-mislukt"]})
            await prune_finished_jobs(app)
            with engine.connect() as conn:
                left = set(conn.execute(text("SELECT args->>'source' FROM procrastinate_jobs")).scalars())
                events = conn.execute(text("SELECT count(*) FROM procrastinate_events WHERE job_id = :id"),
                                      {"id": ids["oud-mislukt"]}).scalar()
            assert left == {"nieuw-mislukt", "wacht"}  # a recent failure and a waiting job stay
            assert events == 0

    asyncio.run(defer_and_prune())

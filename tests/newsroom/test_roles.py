"""The scale-out roles as commands: `newsroom migrate`, `newsroom worker` (PostgreSQL only, known queues),
and a worker that crawls, plans and scores until stopped with SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from localserver import LocalServer
from sqlalchemy import func, select, text

from core.store.db import make_engine
from core.store.schema import crawl_runs, posts
from newsroom.healthcheck import alive_file, check

ROOT = Path(__file__).resolve().parents[2]
FEED = (ROOT / "tests" / "crawlers" / "fixtures" / "stadskrant.xml").read_bytes()


def newsroom(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsroom.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_worker_refuses_sqlite_and_unknown_queues(tmp_path, write_config):
    env = {"NEWSROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "NEWSROOM_CONFIG": str(write_config())}
    done = newsroom("worker", env=env)
    assert done.returncode == 2 and "PostgreSQL" in done.stderr
    done = newsroom("worker", "--queues", "crawl,koffie", env=env)
    assert done.returncode == 2 and "koffie" in done.stderr


def test_migrate_brings_the_store_and_the_task_queue_up_to_date(db_url, write_config):
    done = newsroom("migrate", env={"NEWSROOM_DATABASE_URL": db_url, "NEWSROOM_CONFIG": str(write_config())})
    assert done.returncode == 0, done.stderr
    assert "schema 00" in done.stdout
    if db_url.startswith("postgres"):
        engine = make_engine(db_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_worker_plans_and_runs_crawls_and_stops_on_sigterm(db_url, write_config):
    server = LocalServer()
    server.serve("/nieuws.xml", FEED, content_type="application/rss+xml; charset=utf-8")
    config = write_config(f'\n[[sources]]\nname = "stadskrant"\nkind = "feed"\nurl = "{server.url("/nieuws.xml")}"\n'
                          'local = true\nfollow_articles = false\n')
    env = {**os.environ, "NEWSROOM_DATABASE_URL": db_url, "NEWSROOM_CONFIG": str(config),
           "NEWSROOM_LOOPBACK_ONLY": "true", "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
           "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0"}
    worker = subprocess.Popen([sys.executable, "-m", "newsroom.cli", "worker", "--queues", "crawl,work"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 90
        while True:
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(posts)).scalar()
                ok = conn.execute(select(func.count()).select_from(crawl_runs).where(crawl_runs.c.status == "ok")).scalar()
            if stored and ok:
                break
            assert time.monotonic() < deadline and worker.poll() is None, "the worker crawled nothing"
            time.sleep(0.5)
        check(["newsroom", "worker"], worker.pid)  # its health check: the alive file is fresh
        worker.send_signal(signal.SIGTERM)
        log, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, log[-2000:]
        assert not alive_file(worker.pid).exists()
        assert "newsroom:plan_crawls" in log and "newsroom:crawl" in log
    finally:
        if worker.poll() is None:
            worker.kill()
        server.close()
        engine.dispose()

"""Guarantees across processes and hosts: named locks, work done once per day, stale crawl runs taken
over by heartbeat (not by a process id that means nothing on another machine), alerts opened once."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select, text, update

from core.config.watch import parse_config
from core.store.alerts import check_sources
from core.store.db import make_engine
from core.store.locks import exclusive, once
from core.store.schema import alerts, crawl_runs, sources, utcnow
from core.store.sources import HOST, STALE_AFTER, abandon_stale_runs, get_source, start_run, sync_sources


def _config(*names):
    return parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "sources": [{"name": n, "kind": "feed", "url": f"http://127.0.0.1:9/{n}.xml", "every": "10m"} for n in names],
    })


def test_exclusive_is_held_by_one_holder_and_freed_when_its_connection_dies(db_url):
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        with exclusive(first, "crawl:oogtv") as got:
            assert got
            with exclusive(second, "crawl:oogtv") as other:
                assert not other
            with exclusive(second, "crawl:sikkom") as unrelated:
                assert unrelated
        with exclusive(second, "crawl:oogtv") as after:
            assert after
        if first.dialect.name == "postgresql":
            # A holder killed mid-work: the server ends its session, and the lock with it.
            holder = first.connect().execution_options(isolation_level="AUTOCOMMIT")
            holder.execute(text("SELECT pg_advisory_lock(727275, 1)"))
            pid = holder.execute(text("SELECT pg_backend_pid()")).scalar()
            with second.connect() as conn:
                assert not conn.execute(text("SELECT pg_try_advisory_lock(727275, 1)")).scalar()
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                deadline = time.monotonic() + 10  # the backend ends a moment after it is told to
                while not conn.execute(text("SELECT pg_try_advisory_lock(727275, 1)")).scalar():
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                conn.execute(text("SELECT pg_advisory_unlock(727275, 1)"))
            holder.invalidate()
    finally:
        first.dispose()
        second.dispose()


def test_once_a_day_whoever_asks_first(db_url):
    engines = [make_engine(db_url) for _ in range(4)]
    winners, barrier = [], threading.Barrier(len(engines))

    def ask(engine):
        barrier.wait()
        with engine.begin() as conn:
            if once(conn, "retention", "2026-12-04"):
                winners.append(engine)

    threads = [threading.Thread(target=ask, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    with engines[0].begin() as conn:
        assert not once(conn, "retention", "2026-12-04")
        assert once(conn, "retention", "2026-12-05")
    for e in engines:
        e.dispose()


def test_stale_runs_are_taken_over_by_heartbeat_from_any_host(engine):
    now = utcnow()
    with engine.begin() as conn:
        sync_sources(conn, _config("oogtv"))
        source = get_source(conn, "oogtv").id
        ids = [start_run(conn, source) for _ in range(3)]
        # Another machine's crawl, alive: its pid means nothing here and must not be looked at.
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == ids[0]).values(host="elders", pid=1 << 22))
        # Another machine's crawl whose heartbeat stopped.
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == ids[1]).values(
            host="elders", pid=1 << 22, heartbeat_at=now - STALE_AFTER - timedelta(seconds=1)))
        # This host's crawl, alive (this process).
        assert conn.execute(select(crawl_runs.c.host).where(crawl_runs.c.id == ids[2])).scalar() == HOST
        assert abandon_stale_runs(conn, now=now) == 1
        status = dict(conn.execute(select(crawl_runs.c.id, crawl_runs.c.status)).all())
        assert status == {ids[0]: "running", ids[1]: "failed", ids[2]: "running"}
        # Holding the source's crawl lock proves no run of it is alive: all are taken over.
        assert abandon_stale_runs(conn, source, crawl_lock_held=True, now=now) == 2


def test_a_silent_source_opens_one_alert_however_many_processes_check(db_url):
    config = _config("oogtv")
    engines = [make_engine(db_url) for _ in range(3)]
    with engines[0].begin() as conn:
        sync_sources(conn, config)
        conn.execute(update(sources).values(created_at=utcnow() - timedelta(days=2)))
    barrier = threading.Barrier(len(engines))
    errors = []

    def check(engine):
        barrier.wait()
        try:
            with engine.begin() as conn:
                check_sources(conn, config)
        except Exception as exc:  # reported below with the assertion
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engines[0].connect() as conn:
        assert conn.execute(select(alerts.c.kind, alerts.c.key)).all() == [("source", "oogtv")]
    for e in engines:
        e.dispose()


def test_task_queue_figures_for_metrics(db_url):
    from api.metrics import queue_exposition
    from core.analytics.taskqueue import queue_figures

    engine = make_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) VALUES "
                              "('crawl', 'newsroom:crawl', '{}', 'todo'), ('crawl', 'newsroom:crawl', '{}', 'todo'), "
                              "('work', 'newsroom:alerts', '{}', 'failed')"))
        figures = queue_figures(conn)
    engine.dispose()
    if engine.dialect.name != "postgresql":
        assert figures == {"jobs": {}, "failed": {}, "workers": 0} and queue_exposition(figures) == ""
        return
    assert figures["jobs"] == {("crawl", "todo"): 2, ("work", "failed"): 1}
    assert figures["failed"] == {"newsroom:alerts": 1}
    lines = queue_exposition(figures).splitlines()
    assert 'newsroom_task_jobs{queue="crawl",status="todo"} 2' in lines
    assert 'newsroom_task_failures{task="newsroom:alerts"} 1' in lines

"""The weekly newsletter goes out once, however many processes (or hosts) run the newsletter job at the
send time: `newsroom run` on two machines, or several task workers."""
from __future__ import annotations

import threading
from datetime import datetime

from newsletter_data import AMSTERDAM, WEEK

from core.store.db import make_engine
from newsroom.jobs import newsletter_job

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=AMSTERDAM)


def test_the_newsletter_job_on_several_processes_at_once_sends_one_newsletter(
        filled, db_url, newsroom_config, settings, smtp_server):
    settings = settings.model_copy(update={"smtp_url": smtp_server.url})
    engines = [make_engine(db_url) for _ in range(3)]
    barrier, sent = threading.Barrier(len(engines)), []

    def run(engine):
        barrier.wait()
        sent.append(newsletter_job(engine, newsroom_config, settings, now=MONDAY_8))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sent.count(WEEK) == 1 and sent.count(None) == 2
    assert len(smtp_server.inbox.received) == 1
    # Later ticks of the job, on any process, find it sent.
    assert newsletter_job(engines[0], newsroom_config, settings, now=MONDAY_8.replace(minute=15)) is None
    assert len(smtp_server.inbox.received) == 1
    for e in engines:
        e.dispose()

"""Alerts delivered once per target across processes: one delivery round at a time, each attempt
claimed in the store before it is sent, and a process killed between claim and answer retried with
the same delivery id so the receiver can drop the copy."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import insert, select

from alerting.deliver import deliver_pending
from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine
from core.store.schema import alerts, utcnow

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path, webhook_url: str, emails: bool = True):
    path = tmp_path / "watch.toml"
    path.write_text(textwrap.dedent(f"""
        [watch]
        city = "Groningen"
        terms = ["Groningen"]
        [newsletter]
        sender = "newsroom@groningen.nl"
        [alerts]
        cooldown = "6h"
        [[alerts.routes]]
        {'emails = ["kcc@groningen.nl"]' if emails else ''}
        webhooks = ["{webhook_url}"]
        format = "json"
    """), encoding="utf-8")
    return path


def _open_alerts(engine, n: int) -> list[int]:
    now = utcnow()
    with engine.begin() as conn:
        return [conn.execute(insert(alerts).values(
            kind="source", key=f"bron{i}", status="open", severity="warning", title=f"Bron {i} stil",
            details={}, post_ids=[], opened_at=now, updated_at=now)).inserted_primary_key[0] for i in range(n)]


def test_concurrent_delivery_rounds_send_each_alert_once_per_target(db_url, tmp_path, smtp, webhook):
    config = load_config(_config(tmp_path, webhook.url()))
    engines = [make_engine(db_url) for _ in range(3)]
    opened = _open_alerts(engines[0], 4)
    settings = Settings(database_url=db_url, smtp_url=smtp.url)
    barrier = threading.Barrier(len(engines))

    def deliver(engine):
        barrier.wait()
        for _ in range(3):
            deliver_pending(engine, config, settings)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sorted(r["json"]["alert"]["id"] for r in webhook.requests)
    assert got == sorted(opened)
    ids = [r["json"]["delivery_id"] for r in webhook.requests]
    assert len(set(ids)) == len(ids) and all(r["headers"]["Idempotency-Key"] in ids for r in webhook.requests)
    mails = [m["message"] for m in smtp.messages]
    assert sorted(int(m["X-Newsroom-Alert"]) for m in mails) == sorted(opened)
    assert all(m["X-Newsroom-Delivery"] and m["Message-ID"].startswith(f"<{m['X-Newsroom-Delivery']}@")
               for m in mails)
    with engines[0].connect() as conn:
        assert all(conn.execute(select(alerts.c.delivered_at)).scalars())
    for e in engines:
        e.dispose()


class HangingReceiver:
    """A webhook receiver that records every request and leaves the first one unanswered."""

    def __init__(self):
        self.requests, self.release = [], threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                receiver.requests.append({"headers": dict(self.headers), "json": body})
                if len(receiver.requests) == 1:
                    receiver.release.wait(30)
                    return
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_process_killed_between_claim_and_answer_is_retried_with_the_same_delivery_id(db_url, tmp_path):
    receiver = HangingReceiver()
    try:
        config_path = _config(tmp_path, receiver.url, emails=False)
        engine = make_engine(db_url)
        [alert_id] = _open_alerts(engine, 1)
        child = subprocess.Popen(
            [sys.executable, "-c", "from alerting.deliver import deliver_pending; from core.config.settings import "
             "get_settings; from core.config.watch import load_config; from core.store.db import make_engine; "
             "s = get_settings(); deliver_pending(make_engine(s.database_url), load_config(s.config), s)"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "NEWSROOM_DATABASE_URL": db_url,
                 "NEWSROOM_CONFIG": str(config_path)},
        )
        deadline = time.monotonic() + 60
        while not receiver.requests:
            assert time.monotonic() < deadline and child.poll() is None, "the child never sent"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with engine.connect() as conn:
            row = conn.execute(select(alerts.c.delivered_at, alerts.c.details).where(alerts.c.id == alert_id)).one()
        [state] = row.details["deliveries"].values()
        assert row.delivered_at is None and state["sending"] and state["attempts"] == 1

        reports = deliver_pending(engine, load_config(config_path), Settings(database_url=db_url))
        assert reports[0]["sent"] and reports[0]["done"]
        first, second = receiver.requests
        assert first["json"]["delivery_id"] == second["json"]["delivery_id"] == state["delivery_id"]
        assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"]
        with engine.connect() as conn:
            details = conn.execute(select(alerts.c.details).where(alerts.c.id == alert_id)).scalar()
        [state] = details["deliveries"].values()
        assert state["ok"] and state["attempts"] == 2 and "sending" not in state
        engine.dispose()
    finally:
        receiver.close()

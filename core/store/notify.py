"""Change notifications between processes on PostgreSQL (LISTEN/NOTIFY).

Migration 0007 puts statement-level triggers on posts, scores, alerts and meta that NOTIFY the channel
CHANNEL when a transaction writing them commits, whichever process or machine wrote. A web process
listens (ChangeListener) and recomputes its wall at once instead of at its next poll, so every web
process behind a load balancer shows what the workers just stored within a second or two.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from core.store.db import libpq_url

log = logging.getLogger(__name__)

CHANNEL = "newsroom_changes"
TABLES = ("posts", "scores", "alerts", "meta")


class ChangeListener(threading.Thread):
    """Calls `on_change(table)` for every notification on CHANNEL, from a thread of its own; reconnects
    after losing the server (the caller's own polling covers the gap)."""

    def __init__(self, database_url: str, on_change: Callable[[str], None], *, retry: float = 2.0):
        super().__init__(name="store-changes", daemon=True)
        self.url, self.on_change, self.retry = libpq_url(database_url), on_change, retry
        self.stopped = threading.Event()
        self.listening = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self.stopped.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            self.on_change(notice.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("listening for store changes: %s; trying again in %g s", exc, self.retry)
                time.sleep(self.retry)

    def stop(self) -> None:
        self.stopped.set()

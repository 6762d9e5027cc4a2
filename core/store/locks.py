"""Named locks that hold across processes and machines sharing one store, and work done once per period.

- `exclusive(engine, name)`: try to hold a lock for as long as a block runs (a crawl of one source,
  the alert delivery round). PostgreSQL: a session advisory lock on a connection of its own, released
  by the server when the holder's connection ends, so a process killed with `kill -9`, on any host,
  never leaves it behind. SQLite (one machine by nature): an flock on a file beside the database,
  released by the kernel when the process dies.
- `serialise(conn, name)`: make transactions on `name` take turns until commit (opening alerts):
  the second waits, then reads what the first committed.
- `once(conn, key, stamp)`: inside a transaction, True for the first caller with this `stamp`
  (retention's local date); a later caller, on any host, gets False. Nothing is marked done unless
  the transaction that did the work commits.
"""
from __future__ import annotations

import fcntl
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.engine import make_url

from core.store.schema import meta, utcnow

# First key of our advisory locks, so they cannot meet another application's on a shared server.
NAMESPACE = 727275
_process_locks: dict[str, threading.Lock] = {}
_process_guard = threading.Lock()


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for `name` (PostgreSQL's two-key advisory locks take int4s)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True)


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Hold the lock `name` while the block runs; yields False (and holds nothing) when another
    process or thread holds it now."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name) as got:
            yield got
        return
    path = _lock_file(engine, name)
    with _process_lock(str(path) if path else f"{engine.url}:{name}") as got_here:
        if not got_here:
            yield False
            return
        if path is None:  # an in-memory store lives in this process only
            yield True
            return
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[bool]:
    # Autocommit: the lock belongs to the session, and no transaction stays open while it is held.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                           {"ns": NAMESPACE, "key": lock_key(name)}).scalar()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": NAMESPACE, "key": lock_key(name)})


@contextmanager
def _process_lock(name: str) -> Iterator[bool]:
    # flock is per open file: two threads of one process would both get it, so they take turns here first.
    with _process_guard:
        lock = _process_locks.setdefault(name, threading.Lock())
    got = lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            lock.release()


def _lock_file(engine: Engine, name: str) -> Path | None:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        return None
    folder = Path(database).with_name(Path(database).name + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] + f".{lock_key(name) & 0xFFFFFFFF:08x}")


def serialise(conn: Connection, name: str) -> None:
    """Wait for other transactions that serialise on `name`, and make later ones wait for this one
    until it ends. Call it first in the transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": NAMESPACE, "key": lock_key(name)})
        return
    # SQLite has one writer at a time: writing first takes the database's write lock until commit.
    key = f"lock:{name}"
    if conn.execute(update(meta).where(meta.c.key == key).values(updated_at=utcnow())).rowcount == 0:
        conn.execute(insert(meta).values(key=key, value="", updated_at=utcnow()))


def once(conn: Connection, key: str, stamp: str) -> bool:
    """True when `key` was not yet done for `stamp`, and marks it done when this transaction commits."""
    serialise(conn, f"once:{key}")
    name = f"done:{key}"
    done = conn.execute(select(meta.c.value).where(meta.c.key == name)).scalar()
    if done == stamp:
        return False
    if done is None:
        conn.execute(insert(meta).values(key=name, value=stamp, updated_at=utcnow()))
    else:
        conn.execute(update(meta).where(meta.c.key == name).values(value=stamp, updated_at=utcnow()))
    return True

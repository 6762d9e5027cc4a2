"""Starting crawls from the application, always in child processes: Scrapy's reactor cannot restart
in one process, a crashing or hung spider must not take a worker or the wall down, and torch (the
scoring model) stays out of crawl processes (the children import only the crawlers and core).

- `CrawlPool` / `CrawlProcess`: long-lived crawl processes (crawlers.server), one per crawl slot,
  each running crawl after crawl and replaced after a crash, a hang or `recycle_after` crawls. The
  scheduler, the workers and `newsroom crawl` use these: a poll of a feed that answers 304 costs a
  request, not a Python start.
- `crawl_in_subprocess`: one crawl, one process (`python -m crawlers.run`), for one-off use and tests.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any

from core.config.settings import Settings

from .run import result

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Seconds a crawl gets beyond its own time limit to stop by itself before it is killed: stopping
# waits for downloads in flight, which end at the latest after DOWNLOAD_TIMEOUT.
GRACE = 60.0
# Seconds to wait, once a crawl process has exited, for its output readers to reach the end.
READERS_DONE = 5.0


def crawl_in_subprocess(source: str, *, timeout: float = 900, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Crawl `source` in a child process (`python -m crawlers.run SOURCE`) and return its result dict.

    `env` is added to this process's environment. The child stops itself after `timeout` seconds
    (a failed run, with what it stored so far kept); if it hangs beyond that it is killed and its run
    recorded as failed here. A child that dies without its JSON line gives
    {"source", "status": "failed", "error": <why, with the last lines it logged>}.
    """
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), child_env.get("PYTHONPATH", "")) if p)
    child_env["NEWSROOM_CRAWL_TIME_LIMIT"] = f"{timeout:g}"
    child = subprocess.Popen(
        [sys.executable, "-m", "crawlers.run", source],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    killed = False
    try:
        stdout, stderr = child.communicate(timeout=timeout + GRACE)
    except subprocess.TimeoutExpired:
        killed = True
        child.send_signal(signal.SIGTERM)  # Scrapy stops gracefully and still records the run
        try:
            stdout, stderr = child.communicate(timeout=GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            stdout, stderr = child.communicate()
    outcome = _last_json_line(stdout)
    if outcome is not None:
        if killed:
            outcome["error"] = f"timed out after {timeout:g} s; " + (outcome.get("error") or "")
        return outcome
    tail = "\n".join(stderr.strip().splitlines()[-15:])
    if killed:
        reason = f"crawl process killed: no result {timeout + GRACE:g} s after it started"
    else:
        reason = f"crawl process exited with code {child.returncode} without a result"
    run_id = _record_crash(source, reason, child_env)
    return result(source, run_id, "failed", f"{reason}\n{tail}".strip())


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _record_crash(source: str, reason: str, env: dict[str, str]) -> int | None:
    """Mark the dead child's run failed with `reason`; returns its id when there is one."""
    from core.store.db import make_engine
    from core.store.locks import exclusive
    from core.store.sources import abandon_stale_runs, crawl_lock, get_source, latest_run

    overrides = {k[len("NEWSROOM_"):].lower(): v for k, v in env.items() if k.startswith("NEWSROOM_")}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if k in Settings.model_fields})
        engine = make_engine(settings.database_url)
        try:
            # The child's lock died with it: holding it now proves no run of the source is alive.
            with exclusive(engine, crawl_lock(source)) as held, engine.begin() as conn:
                row = get_source(conn, source)
                abandon_stale_runs(conn, row.id, error=reason, crawl_lock_held=held)
                run = latest_run(conn, row.id)
        finally:
            engine.dispose()
    except Exception as exc:  # the store may be the reason the child died; the caller still gets a result
        logger.warning("could not record the failed crawl of %s: %s", source, exc)
        return None
    return run.id if run is not None else None


# --- a long-lived crawl process per crawl slot -------------------------------------------------------

class CrawlProcess:
    """One `python -m crawlers.server` child that runs crawl after crawl, started on first use.

    A crawl that overruns its time limit by GRACE seconds, or a child that dies, costs only that
    crawl: the child is killed, the run recorded as failed, and the next crawl starts a fresh child.
    After `recycle_after` crawls the child is replaced, so whatever a spider leaks does not add up.
    """

    def __init__(self, env: dict[str, str] | None = None, *, recycle_after: int = 200):
        self.env = {**os.environ, **(env or {})}
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), self.env.get("PYTHONPATH", "")) if p)
        self.recycle_after = recycle_after
        self.child: subprocess.Popen | None = None
        self.crawls = 0
        self._answers: queue.Queue = queue.Queue()
        self._log: deque[str] = deque(maxlen=40)
        self._readers: list[threading.Thread] = []

    def _start(self) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-m", "crawlers.server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=self.env, text=True, encoding="utf-8", errors="replace", bufsize=1,
        )
        answers, log = queue.Queue(), self._log
        log.clear()

        # Each reader owns its pipe and closes it at the end (the child exited): closing it from
        # another thread while a read is under way is not safe.
        def read_answers() -> None:
            with child.stdout:
                for line in child.stdout:
                    answers.put(line)
            answers.put(None)

        def read_log() -> None:
            with child.stderr:
                for line in child.stderr:
                    log.append(line.rstrip())

        self._readers = [threading.Thread(target=read_answers, name="crawl-answers", daemon=True),
                         threading.Thread(target=read_log, name="crawl-log", daemon=True)]
        for reader in self._readers:
            reader.start()
        self.child, self._answers, self.crawls = child, answers, 0
        return child

    def _exited(self, child: subprocess.Popen) -> None:
        """After the child exited: its input closed, its output read to the end (and so closed)."""
        if child.stdin:
            try:
                child.stdin.close()
            except OSError:  # a broken pipe: what was buffered cannot reach a dead child anyway
                pass
        for reader in self._readers:
            reader.join(READERS_DONE)

    def crawl(self, source: str, *, timeout: float = 900) -> dict[str, Any]:
        """Crawl `source` in the child; returns its result dict, as crawl_in_subprocess does."""
        child = self.child if self.child is not None and self.child.poll() is None else self._start()
        try:
            child.stdin.write(json.dumps({"source": source, "timeout": timeout}) + "\n")
            child.stdin.flush()
        except OSError:
            pass  # the child died; its answer is missing below
        try:
            line = self._answers.get(timeout=timeout + GRACE)
        except queue.Empty:
            self._stop(child)
            reason = f"crawl process killed: no result {timeout + GRACE:g} s after the crawl started"
            return result(source, _record_crash(source, reason, self.env), "failed", reason)
        outcome = _last_json_line(line) if line else None
        if outcome is None:
            code = child.wait()
            self._exited(child)
            self.child = None
            reason = f"crawl process exited with code {code} without a result"
            tail = "\n".join(list(self._log)[-15:])
            return result(source, _record_crash(source, reason, self.env), "failed", f"{reason}\n{tail}".strip())
        self.crawls += 1
        if self.crawls >= self.recycle_after:
            self.close()
        return outcome

    def _stop(self, child: subprocess.Popen) -> None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        self._exited(child)
        self.child = None

    def close(self) -> None:
        """Let the child finish and exit (end of its input); killed if it does not within GRACE."""
        child, self.child = self.child, None
        if child is None:
            return
        try:
            child.stdin.close()
            child.wait(GRACE)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        self._exited(child)


class CrawlPool:
    """`size` crawl processes shared by the threads of one application or worker: crawl() takes a free
    one (waiting for it), so no more than `size` crawls run at a time."""

    def __init__(self, size: int, env: dict[str, str] | None = None, *, recycle_after: int = 200):
        self._free: queue.LifoQueue = queue.LifoQueue()
        self._all = [CrawlProcess(env, recycle_after=recycle_after) for _ in range(size)]
        self._closed = threading.Event()
        for process in self._all:
            self._free.put(process)

    def crawl(self, source: str, *, timeout: float = 900) -> dict[str, Any]:
        while True:
            if self._closed.is_set():
                return result(source, None, "skipped", "not started: the crawl processes are stopping")
            try:
                process = self._free.get(timeout=0.5)
            except queue.Empty:
                continue
            break
        try:
            return process.crawl(source, timeout=timeout)
        finally:
            self._free.put(process)

    def close(self) -> None:
        """Stop every crawl process; a crawl in progress ends as failed, crawls waiting for a process
        as skipped."""
        self._closed.set()
        for process in self._all:
            process.close()

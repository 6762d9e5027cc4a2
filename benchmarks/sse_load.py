"""Load on the web process: N wall screens on /api/stream plus a burst of API reads, over loopback.

    python benchmarks/sse_load.py                               # 100 streams, 2,000 reads, 50 at a time
    python benchmarks/sse_load.py --clients 200 --reads 5000 --concurrency 100

Starts `newsroom web` on a fresh SQLite store with --posts synthetic posts (the rate limit off: a burst
from one address would be throttled by design), connects the streams, fires the reads at the post list,
a post, the analytics summary, the wall state and /healthz, then stores a new post and checks that
every stream receives the new wall state. Prints errors, latency percentiles and how fast the wall moved.
`measure()` returns the same figures (tests/api/test_sse_load.py runs a small version).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config.watch import load_config  # noqa: E402
from core.ingest.policy import ingest_post  # noqa: E402
from core.store.db import make_engine, migrate  # noqa: E402
from core.store.sources import get_source, sync_sources  # noqa: E402

WATCH = """
[watch]
city = "Groningen"
terms = ["Groningen"]

[[themes]]
name = "afval"
terms = ["afval", "container", "kliko"]

[[sources]]
name = "stadskrant"
kind = "feed"
url = "http://127.0.0.1:9/feed.xml"
local = true
"""


@dataclass
class Figures:
    clients: int = 0
    connected: int = 0
    connect_s: list[float] = field(default_factory=list)
    reads: int = 0
    read_errors: list[str] = field(default_factory=list)
    read_s: list[float] = field(default_factory=list)
    burst_s: float = 0.0
    stream_errors: list[str] = field(default_factory=list)
    updated: int = 0
    update_s: list[float] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.read_errors) + len(self.stream_errors) + (self.clients - self.connected)

    def report(self) -> str:
        def pct(values: list[float], q: int) -> str:
            if not values:
                return "-"
            ordered = sorted(values)
            return f"{1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]:.0f} ms"

        lines = [
            f"streams: {self.connected}/{self.clients} connected; first state p50 {pct(self.connect_s, 50)}, "
            f"p99 {pct(self.connect_s, 99)}",
            f"reads: {self.reads} in {self.burst_s:.1f} s ({self.reads / max(self.burst_s, 1e-9):.0f}/s) with every "
            f"stream open; errors {len(self.read_errors)}; p50 {pct(self.read_s, 50)}, p99 {pct(self.read_s, 99)}, "
            f"max {pct(self.read_s, 100)}",
            f"wall update after a new post: {self.updated}/{self.clients} streams got it; p50 {pct(self.update_s, 50)}, "
            f"max {pct(self.update_s, 100)}",
            f"errors in total: {self.errors}" + (f" (first: {(self.read_errors + self.stream_errors)[:3]})" if self.errors else ""),
        ]
        return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(engine, config, posts: int, start: int = 0) -> list[int]:
    now = datetime.now(timezone.utc)
    ids = []
    with engine.begin() as conn:
        source = get_source(conn, "stadskrant")
        for n in range(start, start + posts):
            ids.append(ingest_post(conn, source, {
                "external_id": f"bench-{n}", "url": f"https://stadskrant.example/{n}", "title": f"Bericht {n}",
                "text": f"Een container vol afval in Groningen, bericht {n}." if n % 4 == 0 else f"Nieuws {n} uit Groningen.",
                "author": "Redactie", "author_public": True, "published_at": now - timedelta(minutes=n % 1440),
            }, config.themes)[1])
    return ids


class Stream:
    """One wall screen: reads `event: state` messages and notes when each arrives."""

    def __init__(self, client: httpx.AsyncClient, figures: Figures):
        self.client, self.figures = client, figures
        self.states: list[tuple[float, str]] = []  # (arrival, generated_at)
        self.first = asyncio.Event()
        self.changed = asyncio.Event()

    async def run(self, started: float) -> None:
        try:
            async with self.client.stream("GET", "/api/stream") as response:
                if response.status_code != 200:
                    raise RuntimeError(f"/api/stream answered {response.status_code}")
                event = None
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line.partition(":")[2].strip()
                    elif line.startswith("data:") and event == "state":
                        state = json.loads(line.partition(":")[2])
                        self.states.append((time.monotonic(), state["generated_at"]))
                        if not self.first.is_set():
                            self.figures.connect_s.append(time.monotonic() - started)
                            self.first.set()
                        else:
                            self.changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted: a stream that breaks is an error of the run
            self.figures.stream_errors.append(f"stream: {exc.__class__.__name__}: {exc}")
            self.first.set()


async def _load(base: str, engine, config, clients: int, reads: int, concurrency: int, post_ids: list[int]) -> Figures:
    figures = Figures(clients=clients)
    timeout = httpx.Timeout(60.0, read=None)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=httpx.Limits(max_connections=None)) as streams_client, \
            httpx.AsyncClient(base_url=base, timeout=60.0,
                              limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)) as reader:
        streams = [Stream(streams_client, figures) for _ in range(clients)]
        started = time.monotonic()
        tasks = [asyncio.create_task(s.run(started)) for s in streams]
        await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in streams)), 120)
        figures.connected = sum(1 for s in streams if s.states)

        paths = ["/api/posts?limit=20", "/api/summary", "/api/wall", "/healthz"]
        paths += [f"/api/posts/{i}" for i in post_ids[:20]]
        queue = list(range(reads))

        async def worker() -> None:
            while queue:
                n = queue.pop()
                path = paths[n % len(paths)]
                began = time.monotonic()
                try:
                    response = await reader.get(path)
                    if response.status_code != 200:
                        figures.read_errors.append(f"{path}: HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    figures.read_errors.append(f"{path}: {exc.__class__.__name__}: {exc}")
                figures.read_s.append(time.monotonic() - began)
                figures.reads += 1

        burst = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        figures.burst_s = time.monotonic() - burst

        # The wall still moves: a new post reaches every open screen.
        for s in streams:
            s.changed.clear()
        stored = time.monotonic()
        await asyncio.to_thread(_seed, engine, config, 1, 10**6)
        try:
            await asyncio.wait_for(asyncio.gather(*(s.changed.wait() for s in streams if s.states)), 30)
        except TimeoutError:
            pass
        for s in streams:
            after = [at for at, _ in s.states if at >= stored]
            if after:
                figures.updated += 1
                figures.update_s.append(after[0] - stored)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return figures


def measure(*, clients: int = 100, reads: int = 2000, concurrency: int = 50, posts: int = 500,
            workdir: Path | None = None) -> Figures:
    """Run the load against a fresh `newsroom web` and return the figures."""
    with tempfile.TemporaryDirectory(prefix="newsroom-sse-") as scratch:
        folder = Path(workdir or scratch)
        config_path = folder / "watch.toml"
        config_path.write_text(WATCH, encoding="utf-8")
        config = load_config(config_path)
        db_url = f"sqlite:///{folder / 'sse.db'}"
        engine = make_engine(db_url)
        migrate(engine)
        with engine.begin() as conn:
            sync_sources(conn, config)
        post_ids = _seed(engine, config, posts)
        port = _free_port()
        env = {**os.environ, "NEWSROOM_DATABASE_URL": db_url, "NEWSROOM_CONFIG": str(config_path),
               "NEWSROOM_RATE_LIMIT": "0", "NEWSROOM_PSEUDONYM_SALT": "bench-" + os.urandom(8).hex(),
               "PYTHONPATH": str(ROOT)}
        log = open(folder / "web.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "newsroom.cli", "web", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"newsroom web did not start: {(folder / 'web.log').read_text()[-2000:]}")
                time.sleep(0.3)
            return asyncio.run(_load(base, engine, config, clients, reads, concurrency, post_ids))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    figures = measure(clients=args.clients, reads=args.reads, concurrency=args.concurrency, posts=args.posts)
    print(figures.report())
    sys.exit(1 if figures.errors or figures.updated < figures.connected else 0)


if __name__ == "__main__":
    main()

"""Scale-out figures on PostgreSQL: the ingest path, ingest + scoring with 1, 2 and 4 worker processes,
and one poll of many local feeds that all answer 304.

    python benchmarks/scale_out.py [--postgres URL] [--posts 2000] [--workers 1,2,4] [--feeds 150]
                                   [--slots 4] [--skip ingest,workers,poll]

- ingest path alone: Ingest (pseudonymisation, dedupe, theme tags, story grouping, the insert) in this
  process on a fresh store, SQLite and PostgreSQL: one post per call and transaction (the old crawl
  path), then batches of 100 and 500 posts per transaction through ingest_posts (crawls, imports).
- workers: N processes share --posts posts: each ingests its share, then scores (sentiment.worker,
  batches claimed with SKIP LOCKED) until nothing is left; the wall time from start to the last score,
  as posts/s and the ratio to one worker. Scoring is CPU-bound: on a 2-core machine two workers can at
  best double one, four add nothing, and the curve says whether the claims let them share the work.
- poll: --feeds feed sources on a local server with ETags, crawled once to learn the validators, then
  polled again by --slots long-lived crawl processes (crawlers.launch.CrawlPool, as a worker does):
  the wall-clock time of that poll, every feed answering 304.
Each part runs in its own PostgreSQL schema (bench_scale_*), dropped at the start of the next run.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from core.config.settings import Settings  # noqa: E402
from core.config.watch import parse_config  # noqa: E402
from core.store.db import fresh_schema as fresh_store_schema  # noqa: E402
from core.store.db import make_engine, migrate  # noqa: E402

PSEUDONYM_KEY = "bench-pseudonym-key-0123456789abcdef"
THEMES = [
    {"name": "afval", "terms": ["afval", "kliko", "container", "grofvuil"]},
    {"name": "verkeer", "terms": ["bus", "file", "fiets", "parkeren", "ring"]},
    {"name": "evenementen", "terms": ["Noorderzon", "Grote Markt", "koopzondag"]},
]
TEXTS = [
    "Alweer geen bus naar Zernike vanochtend, {n} minuten in de kou staan wachten in Groningen.",
    "Kliko al {n} weken niet geleegd in Selwerd. Iemand enig idee wie ik moet bellen?",
    "Wat een prachtige avond op de Grote Markt! Groningen op zijn best, editie {n}.",
    "Parkeervergunning aangevraagd en na {n} dagen nog steeds niks gehoord van de gemeente.",
    "De wegwerkzaamheden op de ring zuid duren echt eeuwig, al {n} dagen file.",
    "Grofvuil staat al {n} dagen op straat in de Korrewegwijk, de container is vol.",
]


def config(sources: list[dict]) -> dict:
    return {"watch": {"city": "Groningen", "terms": ["Groningen", "Stad"]}, "themes": THEMES, "sources": sources}


def fresh_schema(base_url: str, name: str) -> str:
    url = fresh_store_schema(base_url, name)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def post(i: int, at: datetime) -> dict:
    return {"external_id": f"p{i}", "url": f"https://forum.example.nl/t/{i}", "title": None,
            "text": TEXTS[i % len(TEXTS)].format(n=i), "author": f"inwoner{i % 97}", "published_at": at}


# --- ingest path ---------------------------------------------------------------------------------------

def ingest(url: str, ids: range, per_transaction: int = 1, batched: bool = True) -> tuple[float, float]:
    """Store posts `ids`, `per_transaction` in each transaction (one ingest_posts batch, or when not
    `batched` one Ingest.store per post); returns (seconds, CPU seconds of this process and, for a
    PostgreSQL on this machine, of its server process for the connection)."""
    from core.ingest.policy import Ingest
    from core.store.sources import get_source, sync_sources

    cfg = parse_config(config([{"name": "forum", "kind": "forum", "url": "https://forum.example.nl", "local": True}]))
    engine = make_engine(url)
    with engine.begin() as conn:
        sync_sources(conn, cfg)
        source = get_source(conn, "forum")
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar() if conn.dialect.name == "postgresql" else None
    policy = Ingest(cfg, Settings(database_url=url, pseudonym_key=PSEUDONYM_KEY))
    now = datetime.now(timezone.utc)
    cpu = time.process_time() + _cpu_of(backend)
    started = time.perf_counter()
    for first in range(ids.start, ids.stop, per_transaction):
        chunk = [post(i, now - timedelta(seconds=i)) for i in range(first, min(first + per_transaction, ids.stop))]
        with engine.begin() as conn:  # one connection, checked out and back: the same server process
            if batched:
                policy.store_many(conn, [(source, item) for item in chunk])
            else:
                for item in chunk:
                    policy.store(conn, source, item)
    took = time.perf_counter() - started
    cpu = time.process_time() + _cpu_of(backend) - cpu
    engine.dispose()
    return took, cpu


def _cpu_of(pid: int | None) -> float:
    """CPU seconds used by process `pid` (a PostgreSQL backend on this machine), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_ingest(base: str, n: int) -> None:
    """The ingest path on SQLite (a file) and PostgreSQL: one post per call and transaction (the old
    crawl path), then batches of 100 and 500 through ingest_posts. Besides the wall-clock rate, the
    rate per CPU second (this process plus, on PostgreSQL, its server process): what one core does
    when the machine is shared (the load average is printed)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    print(f"ingest path alone, {n} posts, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'store':>11} {'posts/call':>10} {'seconds':>8} {'posts/s':>8} {'CPU s':>7} {'posts/CPU-s':>11}")
    for store in ("sqlite", "postgresql"):
        for per_transaction, batched in ((1, False), (100, True), (500, True)):
            if store == "sqlite":
                url = f"sqlite:///{folder}/ingest-{per_transaction}.db"
                engine = make_engine(url)
                migrate(engine)
                engine.dispose()
            else:
                url = fresh_schema(base, "bench_scale_ingest")
            ingest(url, range(n, n + 100), per_transaction, batched)  # imports and caches warm, not timed
            took, cpu = ingest(url, range(n), per_transaction, batched)
            print(f"{store:>11} {per_transaction:>10} {took:>8.2f} {n / took:>8,.0f} {cpu:>7.2f} {n / cpu:>11,.0f}")
    print(f"(load average now {os.getloadavg()[0]:.1f})")


# --- workers ---------------------------------------------------------------------------------------------

def worker(url: str, ids: range, start: multiprocessing.Event, ready: multiprocessing.Queue) -> None:
    from sentiment.scoring import load_scorer
    from sentiment.worker import score_pending

    os.environ["NEWSROOM_THREADS"] = "1"
    scorer = load_scorer(Settings(database_url=url, threads=1, pseudonym_key=PSEUDONYM_KEY))
    ready.put(os.getpid())
    start.wait()
    ingest(url, ids, 50)  # as a crawl stores: its pipeline flushes batches
    engine = make_engine(url)
    while score_pending(engine, scorer, limit=256):
        pass
    engine.dispose()


def bench_workers(base: str, n: int, counts: list[int]) -> None:
    from core.store.schema import posts, scores

    context = multiprocessing.get_context("spawn")
    rows = []
    for count in counts:
        url = fresh_schema(base, f"bench_scale_w{count}")
        start, ready = context.Event(), context.Queue()
        share = -(-n // count)
        processes = [context.Process(target=worker, args=(url, range(k * share, min(n, (k + 1) * share)), start, ready))
                     for k in range(count)]
        for p in processes:
            p.start()
        for _ in processes:
            ready.get(timeout=300)  # models loaded: the clock measures ingest + scoring only
        began = time.perf_counter()
        start.set()
        for p in processes:
            p.join()
        took = time.perf_counter() - began
        engine = make_engine(url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(posts)).scalar()
            scored = conn.execute(select(func.count()).select_from(scores)).scalar()
        engine.dispose()
        rows.append((count, stored, scored, took))
    one = rows[0][1] / rows[0][3]
    print(f"\ningest + scoring on PostgreSQL, {n} posts (os.cpu_count() = {os.cpu_count()})")
    print(f"{'workers':>8} {'posts':>7} {'scored':>7} {'seconds':>8} {'posts/s':>8} {'ratio':>6}")
    for count, stored, scored, took in rows:
        rate = stored / took
        print(f"{count:>8} {stored:>7} {scored:>7} {took:>8.1f} {rate:>8.1f} {rate / one:>6.2f}")


# --- a poll of many feeds that answer 304 ----------------------------------------------------------------

def feed(i: int) -> bytes:
    now = datetime.now(timezone.utc)
    items = "".join(
        f"<item><title>Bericht {j} van bron {i}</title><link>http://127.0.0.1/f{i}/{j}</link>"
        f"<guid>f{i}-{j}</guid><pubDate>{format_datetime(now - timedelta(hours=j))}</pubDate>"
        f"<description>{TEXTS[(i + j) % len(TEXTS)].format(n=j)}</description></item>" for j in range(3))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bron {i}</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>").encode()


def serve_feeds(count: int) -> tuple[ThreadingHTTPServer, dict[str, int]]:
    bodies = {f"/f{i}.xml": feed(i) for i in range(count)}
    hits = {"200": 0, "304": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            etag = f'"{self.path}-v1"'
            if self.headers.get("If-None-Match") == etag:
                hits["304"] += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            hits["200"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def bench_poll(base: str, count: int, slots: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from crawlers.launch import CrawlPool

    url = fresh_schema(base, "bench_scale_poll")
    server, hits = serve_feeds(count)
    port = server.server_address[1]
    folder = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    watch = folder / "watch.toml"
    sources = "".join(textwrap.dedent(f"""
        [[sources]]
        name = "bron{i}"
        kind = "feed"
        url = "http://127.0.0.1:{port}/f{i}.xml"
        local = true
        follow_articles = false
        """) for i in range(count))
    watch.write_text('[watch]\ncity = "Groningen"\nterms = ["Groningen"]\n' + sources, encoding="utf-8")
    settings = Settings(database_url=url, config=watch, loopback_only=True, crawl_concurrency=slots,
                        pseudonym_key=PSEUDONYM_KEY)
    env = {**settings.as_env(), "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0", "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
           "NEWSROOM_CRAWL_AUTOTHROTTLE": "false", "NEWSROOM_CRAWL_LOG_LEVEL": "WARNING"}
    pool = CrawlPool(slots, env)
    names = [f"bron{i}" for i in range(count)]
    try:
        with ThreadPoolExecutor(max_workers=slots) as threads:
            began = time.perf_counter()
            first = list(threads.map(pool.crawl, names))
            full = time.perf_counter() - began
            began = time.perf_counter()
            again = list(threads.map(pool.crawl, names))
            poll = time.perf_counter() - began
    finally:
        pool.close()
        server.shutdown()
    ok = sum(r["status"] == "ok" for r in first)
    not_modified = sum(r.get("not_modified", 0) for r in again)
    print(f"\npoll of {count} local feeds, {slots} long-lived crawl processes")
    print(f"  first crawl (processes starting, every feed 200): {full:.1f} s, {ok} ok, "
          f"{sum(r['new'] for r in first)} posts")
    print(f"  poll where every feed answers 304:                 {poll:.1f} s, {not_modified} not modified "
          f"(server: {hits['304']} × 304)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("NEWSROOM_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--feeds", type=int, default=150)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: ingest, workers, poll")
    args = parser.parse_args()
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    if "ingest" not in skip:
        bench_ingest(args.postgres, args.posts)
    if "workers" not in skip:
        bench_workers(args.postgres, args.posts, [int(c) for c in args.workers.split(",")])
    if "poll" not in skip:
        bench_poll(args.postgres, args.feeds, args.slots)


if __name__ == "__main__":
    main()

"""The scaled-out deployment for real: on PostgreSQL, 2 `newsroom web` and 3 `newsroom worker` processes
against local feeds; one worker is killed with `kill -9` while it crawls, another while it scores.
Afterwards every post is stored once and scored, no alert was opened or delivered twice (a local
SMTP server and a local webhook receiver count them) and both web processes show the same wall."""
from __future__ import annotations

import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email import policy
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select, text

from core.config.watch import load_config
from core.ingest.policy import ingest_post
from core.store.db import make_engine
from core.store.schema import alerts, crawl_runs, posts, scores, sources
from core.store.scores import count_unscored
from core.store.sources import get_source, sync_sources

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FEEDS, ITEMS = 10, 12
SLOW = 6.0  # seconds each feed takes to answer: crawls are in flight long enough to be interrupted
TEXTS = [
    "Kliko al {n} weken niet geleegd in Selwerd, de container puilt uit.",
    "Mooie avond op de Grote Markt, {n} mensen bij het concert in de Stad.",
    "Parkeervergunning na {n} dagen nog niet binnen, de gemeente reageert niet.",
    "Nieuwe fietsenstalling bij het station: {n} extra plekken, eindelijk ruimte.",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Feeds:
    """FEEDS RSS feeds of ITEMS items each on 127.0.0.1, answering after SLOW seconds."""

    def __init__(self):
        now = datetime.now(timezone.utc)
        self.bodies = {}
        for i in range(FEEDS):
            items = "".join(
                f"<item><title>Bericht {j} van bron {i}</title><link>http://127.0.0.1/b{i}/{j}</link>"
                f"<guid>b{i}-{j}</guid><pubDate>{format_datetime(now - timedelta(hours=2 + j))}</pubDate>"
                f"<description>{TEXTS[(i + j) % len(TEXTS)].format(n=i * ITEMS + j)}</description></item>"
                for j in range(ITEMS))
            self.bodies[f"/b{i}.xml"] = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                                         f"<title>Bron {i}</title><link>http://127.0.0.1/</link>"
                                         f"<description>d</description>{items}</channel></rss>").encode()
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = bodies.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                time.sleep(SLOW)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Receivers:
    """A real SMTP server and a webhook receiver that count what reaches them."""

    def __init__(self):
        self.mails, self.hooks = [], []
        receivers = self

        class Mailbox:
            async def handle_DATA(self, server, session, envelope):
                receivers.mails.append(email.message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.smtp = Controller(Mailbox(), hostname="127.0.0.1", port=_port())
        self.smtp.start()

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self):
                receivers.hooks.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.smtp_url = f"smtp://127.0.0.1:{self.smtp.port}"
        self.hook_url = f"http://127.0.0.1:{self.web.server_address[1]}/hook"

    def close(self):
        self.smtp.stop()
        self.web.shutdown()
        self.web.server_close()


def _config(path: Path, feeds: Feeds, receivers: Receivers) -> Path:
    sources = "".join(f'\n[[sources]]\nname = "bron{i}"\nkind = "feed"\nurl = "http://127.0.0.1:{feeds.port}/b{i}.xml"\n'
                      f'local = true\nfollow_articles = false\nevery = "1h"\n' for i in range(FEEDS))
    path.write_text(f"""
[watch]
city = "Groningen"
terms = ["Groningen", "Stad"]

[[themes]]
name = "afval"
terms = ["afval", "container", "kliko"]

[[themes]]
name = "parkeren"
terms = ["parkeren", "parkeervergunning"]

[newsletter]
sender = "newsroom@groningen.nl"

[alerts]
sensitivity = 3.0
min_posts = 5
cooldown = "6h"

[[alerts.routes]]
emails = ["kcc@groningen.nl"]
webhooks = ["{receivers.hook_url}"]
format = "json"

[[sources]]
name = "forum"
kind = "forum"
url = "http://127.0.0.1:9/forum"
local = true
enabled = false
{sources}""", encoding="utf-8")
    return path


def _seed_spike(engine, config) -> int:
    """A fortnight of quiet kliko questions and, now, a burst of angry container posts (scored, as the
    forum's posts would have been): the workers' analytics open alerts for it."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        sync_sources(conn, config)
        forum = get_source(conn, "forum")
        n = 0
        rows = [(now - timedelta(hours=6 * i + 4), f"Vraag {i} over de kliko ophalen", "neutral") for i in range(60)]
        rows += [(now - timedelta(minutes=4 + 6 * i), f"Weer een overvolle container bij de Vismarkt ({i}). Stank!",
                  "negative") for i in range(8)]
        for at, body, label in rows:
            n += 1
            _, post_id = ingest_post(conn, forum, {"external_id": f"f{n}", "url": f"http://127.0.0.1/f/{n}",
                                                   "text": body, "published_at": at}, themes=config.themes)
            values = (0.8, 0.15, 0.05) if label == "negative" else (0.1, 0.8, 0.1)
            conn.execute(insert(scores).values(post_id=post_id, label=label, negative=values[0], neutral=values[1],
                                               positive=values[2], model="seed", model_version="1", scored_at=at))
    return n


def _wait(what: str, check, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_web_and_workers_on_postgres_survive_kill_9_without_doing_anything_twice(db_url, tmp_path):
    feeds, receivers = Feeds(), Receivers()
    config_path = _config(tmp_path / "watch.toml", feeds, receivers)
    engine = make_engine(db_url)
    seeded = _seed_spike(engine, load_config(config_path))
    base_env = {
        **os.environ, "PYTHONPATH": str(ROOT), "NEWSROOM_CONFIG": str(config_path),
        "NEWSROOM_SMTP_URL": receivers.smtp_url, "NEWSROOM_LOOPBACK_ONLY": "true", "NEWSROOM_THREADS": "1",
        "NEWSROOM_ANALYTICS_EVERY": "10", "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
        "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0", "NEWSROOM_CRAWL_AUTOTHROTTLE": "false",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, *args: str) -> subprocess.Popen:
        # application_name tells the test which process holds which connection (pg_stat_activity).
        env = {**base_env, "NEWSROOM_DATABASE_URL": f"{db_url}&application_name={name}"}
        processes[name] = subprocess.Popen([sys.executable, "-m", "newsroom.cli", *args], env=env, cwd=ROOT,
                                           stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT)
        return processes[name]

    def connections(name: str, where: str) -> int:  # of process `name`, in pg_stat_activity
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity a WHERE a.application_name = :name AND " + where),
                {"name": name}).scalar()

    ports = [_port(), _port()]
    try:
        for i, port in enumerate(ports):
            start(f"web{i}", "web", "--port", str(port))
        start("crawler", "worker", "--queues", "crawl,work", "--concurrency", "2")
        start("scorer", "worker", "--queues", "score", "--concurrency", "1")

        # kill -9 the crawl worker while one of its crawl processes has a run going.
        def crawling() -> bool:
            with engine.connect() as conn:
                pids = conn.execute(select(crawl_runs.c.pid).where(crawl_runs.c.status == "running")).scalars()
                return any(_parent(pid) == processes["crawler"].pid for pid in pids)

        _wait("a crawl by the crawl worker", crawling, 120, 0.2)
        # The third worker, for every queue, joins while that crawl is in flight (started here, not
        # before, so that the crawl worker is sure to have taken crawls).
        start("allround", "worker", "--concurrency", "3")
        time.sleep(1.0)
        processes["crawler"].send_signal(signal.SIGKILL)
        # kill -9 the scoring worker while it holds a claimed batch.
        _wait("a batch being scored by the scoring worker", lambda: connections(
            "scorer", "a.state = 'idle in transaction' AND a.query ILIKE '%SKIP LOCKED%'"), 180, 0.1)
        processes["scorer"].send_signal(signal.SIGKILL)

        expected = seeded + FEEDS * ITEMS

        last: dict = {}

        def settled():
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(posts)).scalar()
                unscored = count_unscored(conn)
                ok = conn.execute(select(func.count(func.distinct(crawl_runs.c.source_id)))
                                  .where(crawl_runs.c.status == "ok")).scalar()
                running = conn.execute(select(func.count()).select_from(crawl_runs)
                                       .where(crawl_runs.c.status == "running")).scalar()
                pending = conn.execute(select(func.count()).select_from(alerts)
                                       .where(alerts.c.delivered_at.is_(None))).scalar()
                opened = conn.execute(select(func.count()).select_from(alerts)).scalar()
            last.update(stored=stored, expected=expected, unscored=unscored, sources_ok=ok, running=running,
                        alerts=opened, undelivered=pending)
            return (stored == expected and unscored == 0 and ok == FEEDS and not running and opened and not pending
                    and (stored, opened))

        try:
            _wait("every post stored and scored and every alert delivered", settled, 300, 1.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {last} (logs in {logs})") from None

        with engine.connect() as conn:
            keys = conn.execute(select(sources.c.name, posts.c.external_id).join(sources)).all()
            assert len(keys) == len(set(keys)) == expected  # every post once
            assert conn.execute(select(func.count()).select_from(scores)).scalar() == expected  # every post scored
            opened = conn.execute(select(alerts.c.id, alerts.c.kind, alerts.c.key)).all()
        # The killed crawl worker's jobs were run again by a worker that lives (its run, if it had
        # recorded one yet, was taken over as failed).
        assert "of a worker that stopped: running it again" in (logs / "allround.log").read_text()
        assert len({(kind, key) for _, kind, key in opened}) == len(opened)  # no alert opened twice
        assert receivers.hooks and receivers.mails
        assert max(Counter(h["alert"]["id"] for h in receivers.hooks).values()) == 1  # delivered once per target
        assert max(Counter(m["X-Newsroom-Alert"] for m in receivers.mails).values()) == 1
        assert len({h["delivery_id"] for h in receivers.hooks}) == len(receivers.hooks)

        walls = []
        for port in ports:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                walls.append(_wait("the web process", lambda c=client: _wall(c), 60))
        assert walls[0] == walls[1] and walls[0]["posts"] > 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        feeds.close()
        receivers.close()
        engine.dispose()


def _parent(pid: int | None) -> int | None:
    """The parent process id of `pid` on this machine (Linux /proc), or None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _wall(client: httpx.Client) -> dict | None:
    try:
        state = client.get("/api/wall").json()
    except httpx.HTTPError:
        return None
    return {"posts": state["mood"]["posts"], "alerts": len(state["alerts"]),
            "channels": json.dumps(state["channels"], sort_keys=True)}

"""`newsroom run` killed with SIGKILL again and again, at random moments while it crawls and scores:
afterwards every post is stored once and scored, and the SQLite store passes its integrity check.

Each round adds a feed (a new source is crawled at once on start) that repeats some items of the one
before (the same article through two feeds is one post), and kills the process group (the server and
its crawl children, as a service manager does) either while a crawl runs or once scoring has begun.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from localserver import LocalServer

ROUNDS = 20
ITEMS_PER_FEED = 12
SHARED_WITH_PREVIOUS = 4
# The kill rounds stop early rather than run past this (the test stays under four minutes on a busy
# two-core machine, where a start takes ~11 s to its first crawl and ~45 s to its first score).
KILL_PHASE_S = 140
WORDS = ["afval", "fietsenstalling", "parkeren", "wateroverlast", "de Grote Markt", "het stadhuis", "de buslijn"]


def item(n: int) -> str:
    moment = datetime(2026, 11, 30, 8, tzinfo=timezone.utc) + timedelta(minutes=n)
    subject = WORDS[n % len(WORDS)]
    return (f"<item><guid isPermaLink='false'>bericht-{n}</guid><link>{{base}}/bericht/{n}</link>"
            f"<title>Bericht {n} over {subject} in Groningen</title>"
            f"<description>Bewoners in Groningen zijn {'blij' if n % 2 else 'boos'} over {subject}. "
            f"Dit is bericht nummer {n} en het gaat over de stad.</description>"
            f"<pubDate>{format_datetime(moment)}</pubDate></item>")


def feed(number: int, base: str) -> tuple[bytes, set[int]]:
    first = number * (ITEMS_PER_FEED - SHARED_WITH_PREVIOUS)
    numbers = set(range(first, first + ITEMS_PER_FEED))
    items = "".join(item(n) for n in sorted(numbers)).replace("{base}", base)
    body = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wijkblad {number}</title>"
            f"<link>{base}/</link><language>nl</language>{items}</channel></rss>")
    return body.encode(), numbers


def source(number: int, base: str) -> str:
    return (f'\n[[sources]]\nname = "wijkblad-{number}"\nkind = "feed"\nurl = "{base}/feed/{number}.xml"\n'
            f'local = true\nfollow_articles = false\nevery = "30s"\n')


def query(db, sql: str):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(sql).fetchall()


def rounds_run(kills: dict[str, int]) -> int:
    return sum(kills.values())


def figure(db, sql: str) -> int:
    try:
        return query(db, sql)[0][0]
    except sqlite3.OperationalError:  # not migrated yet, or locked for a moment
        return -1


@pytest.mark.slow
def test_sigkill_during_crawls_and_scoring_loses_and_doubles_nothing(write_config, tmp_path):
    server = LocalServer()
    base = server.url("").rstrip("/")
    db = tmp_path / "run.db"
    env = {
        **os.environ,
        "NEWSROOM_DATABASE_URL": f"sqlite:///{db}",
        "NEWSROOM_LOOPBACK_ONLY": "true",
        "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
        "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
        "NEWSROOM_PSEUDONYM_SALT": "test-kill-" + os.urandom(8).hex(),
        "NEWSROOM_PORT": "0",
    }
    expected: set[int] = set()
    sources = ""
    rng = random.Random(14)
    log = open(tmp_path / "run.log", "w")

    def start(config) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "newsroom.cli", "run"], env={**env, "NEWSROOM_CONFIG": str(config)},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    kills = {"crawl": 0, "scoring": 0, "other": 0}
    began = time.monotonic()
    try:
        for number in range(ROUNDS):
            if time.monotonic() - began > KILL_PHASE_S:
                break
            body, numbers = feed(number, base)
            server.serve(f"/feed/{number}.xml", body, content_type="application/rss+xml; charset=utf-8")
            expected |= numbers
            sources += source(number, base)
            config = write_config(sources)
            scored_before = figure(db, "SELECT count(*) FROM scores")
            process = start(config)
            # Most rounds die while a crawl is running; every fourth once scoring has stored a score (the
            # model takes long to load, so those rounds are few).
            aim = "scoring" if number % 4 == 1 else "crawl"
            deadline = time.monotonic() + (90 if aim == "scoring" else 25)
            hit = "other"
            while time.monotonic() < deadline:
                if aim == "crawl" and figure(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") > 0:
                    hit = "crawl"
                    time.sleep(rng.uniform(0, 3))
                    break
                if aim == "scoring" and figure(db, "SELECT count(*) FROM scores") > scored_before:
                    hit = "scoring"
                    time.sleep(rng.uniform(0, 2))
                    break
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            kills[hit] += 1

        # One last run, left alone until every source has had a whole crawl and everything is scored.
        last_start = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        process = start(config)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            crawled = figure(db, f"SELECT count(DISTINCT source_id) FROM crawl_runs WHERE status = 'ok' AND started_at > '{last_start}'")
            unscored = figure(db, "SELECT count(*) FROM posts WHERE id NOT IN (SELECT post_id FROM scores)")
            if crawled == rounds_run(kills) and unscored == 0:
                break
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    except BaseException:
        log.flush()
        print((tmp_path / "run.log").read_text()[-5000:])
        raise
    finally:
        server.close()

    rounds = rounds_run(kills)
    print(f"\n{rounds} SIGKILLs in {time.monotonic() - began:.0f} s: {kills}")
    assert rounds >= 5 and kills["crawl"] >= 3 and kills["scoring"] >= 1, kills
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    assert {u for (u,) in query(db, "SELECT url FROM posts")} == {f"{base}/bericht/{n}" for n in expected}
    # Once: no source has an item twice (the same article in two feeds is one post per source).
    assert query(db, "SELECT source_id, url FROM posts GROUP BY source_id, url HAVING count(*) > 1") == []
    assert query(db, "SELECT count(*) FROM posts WHERE id NOT IN (SELECT post_id FROM scores)") == [(0,)]
    assert query(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]

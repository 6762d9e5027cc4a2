"""`newsroom run` as a user starts it: the store migrates, the web server answers, the scheduler
crawls a (local) feed at once and the scorer labels what arrived — without anything else running."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from localserver import LocalServer

FIXTURES = Path(__file__).resolve().parents[1] / "crawlers" / "fixtures"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.mark.slow
def test_run_serves_crawls_and_scores(write_config, tmp_path):
    server = LocalServer()
    server.serve("/nieuws/stadskrant.xml", (FIXTURES / "stadskrant.xml").read_bytes(),
                 content_type="application/rss+xml; charset=utf-8")
    for page in ("minder-klikos", "wateroverlast-paddepoel"):
        server.serve(f"/nieuws/artikel/{page}.html", (FIXTURES / f"artikel-{page}.html").read_bytes())
    config = write_config(f'\n[[sources]]\nname = "stadskrant"\nkind = "feed"\nurl = "{server.url("/nieuws/stadskrant.xml")}"\nlocal = true\nevery = "1h"\n')
    port = _free_port()
    env = {
        **os.environ,
        "NEWSROOM_CONFIG": str(config),
        "NEWSROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "NEWSROOM_LOOPBACK_ONLY": "true",
        "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
        "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
        "NEWSROOM_PORT": str(port),
    }
    log = open(tmp_path / "run.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "newsroom.cli", "run"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/healthz").status_code == 200, 60, "/healthz")
        posts = _wait(lambda: httpx.get(f"{base}/api/posts").json()["items"], 120, "crawled posts")
        assert {p["source"] for p in posts} == {"stadskrant"}
        assert all(p["text"] and p["published_at"] for p in posts)
        scored = _wait(lambda: [p for p in httpx.get(f"{base}/api/posts").json()["items"] if p["label"]], 300,
                       "scored posts")
        assert all(set(p["probabilities"]) == {"negative", "neutral", "positive"} for p in scored)
        assert httpx.get(f"{base}/wall").status_code == 200
    except AssertionError:
        log.flush()
        print((tmp_path / "run.log").read_text()[-5000:])
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        server.close()
        log.close()

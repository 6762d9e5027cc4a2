"""The `newsroom` command line as an administrator uses it, in child processes against a local server."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from localserver import LocalServer
from sqlalchemy import select

from core.store.db import make_engine
from core.store.schema import crawl_runs, posts, sources

FIXTURES = Path(__file__).resolve().parents[1] / "crawlers" / "fixtures"
RSS = "application/rss+xml; charset=utf-8"
FAST = {
    "NEWSROOM_LOOPBACK_ONLY": "true",
    "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
    "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0",
    "NEWSROOM_CRAWL_RETRY_TIMES": "1",
    "COLUMNS": "200",
}


def newsroom(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsroom.cli", *args], env={**os.environ, **FAST, **env},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def server():
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def three_feeds(server, write_config, tmp_path):
    """Three feeds on a local server, the third one broken; a config and a store for them."""
    server.serve("/nieuws/stadskrant.xml", (FIXTURES / "stadskrant.xml").read_bytes(), content_type=RSS,
                 etag='"v1"')
    for page in ("minder-klikos", "wateroverlast-paddepoel"):
        server.serve(f"/nieuws/artikel/{page}.html", (FIXTURES / f"artikel-{page}.html").read_bytes())
    server.serve("/ommeland.atom", (FIXTURES / "ommeland.atom").read_bytes(), content_type="application/atom+xml",
                 last_modified="Mon, 17 Nov 2025 10:00:00 GMT")
    server.serve("/kapot.xml", (FIXTURES / "kapot.xml").read_bytes(), content_type=RSS)
    config = write_config("".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{server.url(path)}"\nlocal = true\n'
        for name, path in (("stadskrant", "/nieuws/stadskrant.xml"), ("ommeland", "/ommeland.atom"),
                           ("kapot", "/kapot.xml"))
    ))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    return {"NEWSROOM_CONFIG": str(config), "NEWSROOM_DATABASE_URL": db}


def _table_row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")]
        if name in cells:
            return cells
    raise AssertionError(f"no row for {name} in:\n{output}")


def test_crawl_prints_counts_stores_good_feeds_and_records_the_broken_one(server, three_feeds):
    first = newsroom("crawl", env=three_feeds)
    assert first.returncode == 0, first.stderr
    stad = _table_row(first.stdout, "stadskrant")
    assert stad[2:5] == ["ok", "4", "4"], first.stdout  # status, fetched, new
    assert _table_row(first.stdout, "ommeland")[2] == "ok", first.stdout
    broken = _table_row(first.stdout, "kapot")
    assert broken[2] == "failed" and broken[-2]  # a reason is printed

    engine = make_engine(three_feeds["NEWSROOM_DATABASE_URL"])
    with engine.connect() as conn:
        stored = conn.execute(select(sources.c.name, posts.c.text, posts.c.published_at).join(sources)).all()
        runs = {r.name: r for r in conn.execute(select(sources.c.name, crawl_runs).join(sources))}
    assert {name for name, _, _ in stored} == {"stadskrant", "ommeland"}
    assert all(text and when for _, text, when in stored)
    assert runs["kapot"].status == "failed" and runs["kapot"].error

    second = newsroom("crawl", env=three_feeds)
    assert second.returncode == 0
    for name in ("stadskrant", "ommeland"):
        row = _table_row(second.stdout, name)
        assert row[2] == "ok" and row[4] == "0" and row[7] == "1", second.stdout  # 0 new, one 304
    with engine.connect() as conn:
        assert conn.execute(select(posts.c.id)).all().__len__() == len(stored)
    engine.dispose()

    health = newsroom("sources", env=three_feeds)
    assert health.returncode == 0
    assert _table_row(health.stdout, "kapot")[4] == "fout"
    assert _table_row(health.stdout, "stadskrant")[4] == "ok"


def test_crawl_exits_non_zero_when_every_source_failed(server, write_config, tmp_path):
    config = write_config(f'\n[[sources]]\nname = "weg"\nkind = "feed"\nurl = "{server.url("/weg.xml")}"\n')
    env = {"NEWSROOM_CONFIG": str(config), "NEWSROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = newsroom("crawl", env=env)
    assert result.returncode == 1
    assert _table_row(result.stdout, "weg")[2] == "failed"


def test_unknown_source_and_broken_config_are_refused(write_config, tmp_path):
    env = {"NEWSROOM_CONFIG": str(write_config()), "NEWSROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    unknown = newsroom("crawl", "bestaatniet", env=env)
    assert unknown.returncode == 2 and "unknown source 'bestaatniet'" in unknown.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[watch]\ncity = "Groningen"\nterms = []\n')
    refused = newsroom("run", env={**env, "NEWSROOM_CONFIG": str(bad)})
    assert refused.returncode == 2
    assert str(bad) in refused.stderr and "watch.terms" in refused.stderr
    assert not (tmp_path / "x.db").exists()  # nothing started half-way

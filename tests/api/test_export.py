"""Exports of filtered post sets: CSV and JSON lines, safe in spreadsheets, streamed in flat memory."""
import csv
import io
import json
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn
from sqlalchemy import insert, select

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import audit_log, posts, scores, sources
from core.store.search import suspend_sqlite_index
from core.store.sources import get_source, sync_sources
from newsroom.app import create_app

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "themes": [{"name": "afval", "terms": ["afval", "container", "kliko"]}],
    "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "local": True},
        {"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl", "local": True},
    ],
})


@pytest.fixture
def store(engine):
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        oog, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
        for n in range(30):
            ingest_post(conn, oog if n % 2 else forum, {
                "external_id": f"p{n}", "url": f"https://oogtv.nl/{n}", "title": f"Bericht {n} uit de Stad",
                "text": "De kliko's in Selwerd zijn niet geleegd." if n % 3 == 0 else f"Nieuws {n}, café geopend.",
                "author": "OOG Redactie", "author_public": True, "likes": n,
                "published_at": T0 - timedelta(minutes=n),
            }, themes=CONFIG.themes)
        _, hostile = ingest_post(conn, forum, {
            "external_id": "hostile", "url": "https://forum.example.nl/t/9", "title": '=HYPERLINK("http://x.example","klik")',
            "text": "+31 6 1234 5678 bel me; ook @iemand en -1", "author": "@inwoner-1a2b3c4d",
            "published_at": T0 + timedelta(minutes=1),
        })
        conn.execute(insert(scores).values(post_id=hostile, label="negative", negative=0.7, neutral=0.2, positive=0.1,
                                           model="test", model_version="1"))
    return hostile


def read_csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_of_a_filtered_set(client, store):
    response = client.get("/api/export.csv", params={"q": "kliko", "source": "stadforum"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = read_csv(response)
    assert len(rows) == 5  # n in 0, 6, 12, 18, 24
    assert all(r["source"] == "stadforum" and r["themes"] == "afval" for r in rows)
    assert [r["published_at"] for r in rows] == sorted((r["published_at"] for r in rows), reverse=True)
    assert len(read_csv(client.get("/api/export.csv"))) == 31


def test_csv_cells_never_start_a_formula(client, store):
    row = next(r for r in read_csv(client.get("/api/export.csv")) if r["id"] == str(store))
    assert row["title"] == "'=HYPERLINK(\"http://x.example\",\"klik\")"
    assert row["text"].startswith("'+31")
    assert row["author"] == "'@inwoner-1a2b3c4d"
    assert row["label"] == "negative" and row["negative"] == "0.7"


def test_jsonl_has_the_posts_shape(client, store):
    response = client.get("/api/export.jsonl", params={"label": "negative"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [p["id"] for p in lines] == [store]
    assert lines[0]["title"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet: kept as it is
    assert lines[0]["probabilities"] == {"negative": 0.7, "neutral": 0.2, "positive": 0.1}


def test_every_export_is_audited(client, store, engine):
    client.get("/api/export.csv", params={"theme": "afval"}, headers={"Authorization": "Bearer geheim"})
    client.get("/api/export.jsonl")
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "export").order_by(audit_log.c.id)).all()
    assert [(r.actor, r.detail["format"], r.detail.get("theme")) for r in rows] == [
        ("admin", "csv", "afval"), ("anonymous", "jsonl", None)]


# --- a large export through a real server -----------------------------------------------------------

ROWS = 100_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def big_store(sqlite_engine):
    with sqlite_engine.begin() as conn, suspend_sqlite_index(conn):
        sync_sources(conn, CONFIG)
        source_id = conn.execute(select(sources.c.id).where(sources.c.name == "oogtv")).scalar_one()
        text = "Drukte op de Grote Markt; " * 8
        for start in range(0, ROWS, 10_000):
            conn.execute(insert(posts), [
                {"source_id": source_id, "channel": "news", "external_id": f"b{n}", "url": f"https://oogtv.nl/b/{n}",
                 "content_hash": f"{n:064d}", "title": f"Bericht {n}", "text": text, "author": "OOG Redactie",
                 "author_public": True, "published_at": T0 - timedelta(seconds=n), "fetched_at": T0, "extra": {}}
                for n in range(start, min(start + 10_000, ROWS))
            ])
    return sqlite_engine


@pytest.fixture
def server(big_store, tmp_path, config):
    port = _free_port()
    settings = Settings(database_url=str(big_store.url), config=tmp_path / "watch.toml", api_token="geheim")
    app = create_app(settings, config, big_store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _export(base: str, params: dict) -> tuple[int, int]:
    """(rows, peak growth of this process's resident memory) of one streamed CSV export, read line by
    line and thrown away. Server and client run in this process, so the server's memory is measured."""
    before, peak, done = _rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows = 0
    try:
        with httpx.stream("GET", f"{base}/api/export.csv", params=params, timeout=120) as response:
            assert response.status_code == 200
            for _ in response.iter_lines():
                rows += 1
    finally:
        done.set()
        sampler.join()
    return rows - 1, max(peak[0], _rss()) - before


def test_a_large_export_streams_in_flat_memory(server):
    started = time.monotonic()
    small_rows, small_growth = _export(server, {"since": (T0 - timedelta(seconds=ROWS // 10 - 1)).isoformat()})
    large_rows, large_growth = _export(server, {})
    seconds = time.monotonic() - started
    print(f"export: {small_rows} rows, RSS +{small_growth / 1e6:.1f} MB; {large_rows} rows, RSS "
          f"+{large_growth / 1e6:.1f} MB; both in {seconds:.1f} s")
    assert small_rows == ROWS // 10 and large_rows == ROWS
    # The CSV is ~30 MB and the rows as Python objects several times that; streamed, the export
    # holds one batch at a time, so ten times the rows costs no more memory.
    assert large_growth < 25e6
    assert large_growth < small_growth + 10e6


def test_batches_read_through_one_cursor(engine, store):
    """More rows than a batch: the server-side cursor (PostgreSQL) stays open while each batch's
    themes are looked up on the same connection."""
    from core.store.filters import PostFilter
    from core.store.listing import iter_posts

    with engine.connect() as conn:
        batches = list(iter_posts(conn, PostFilter(), batch=7))
    assert [len(b) for b in batches] == [7, 7, 7, 7, 3]
    assert len({p["id"] for b in batches for p in b}) == 31
    assert sum(p["themes"] == ["afval"] for b in batches for p in b) == 10

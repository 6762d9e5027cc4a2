"""Tokens, CORS, request limits, rate limit, no tracebacks, and /metrics."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import alerts, scores, utcnow
from core.store.scores import record_scorer
from core.store.sources import (
    RunCounts,
    finish_run,
    get_source,
    start_run,
    sync_sources,
)

WRITES = [
    ("put", "/api/config/sources/nieuw", {"kind": "feed", "url": "https://nieuw.example.nl/rss"}),
    ("delete", "/api/config/sources/nieuw", None),
    ("put", "/api/config/themes/nieuw", {"terms": ["nieuw"]}),
    ("delete", "/api/config/themes/nieuw", None),
    ("post", "/api/alerts/1/acknowledge", None),
    ("post", "/api/alerts/1/resolve", None),
]


@pytest.mark.parametrize("method,path,body", WRITES)
def test_writes_without_a_valid_token_are_refused(make_client, method, path, body):
    client = make_client(api_token="geheim", api_tokens="kcc:kcc-geheim", read_token="lees")
    kwargs = {"json": body} if body is not None else {}
    assert client.request(method, path, **kwargs).status_code == 401
    assert client.request(method, path, headers={"Authorization": "Bearer fout"}, **kwargs).status_code == 401
    # a read token reads, it never writes
    assert client.request(method, path, headers={"Authorization": "Bearer lees"}, **kwargs).status_code == 401
    closed = make_client()
    assert closed.request(method, path, headers={"Authorization": "Bearer geheim"}, **kwargs).status_code == 403


def test_reads_can_need_a_token_everywhere(make_client):
    client = make_client(api_token="geheim", api_tokens="kcc:kcc-geheim", read_token="lees", reads_need_token=True)
    for path in ("/api/posts", "/api/export.csv", "/api/config/sources", "/metrics", "/api/alerts/1"):
        assert client.get(path).status_code == 401, path
    for token in ("lees", "kcc-geheim", "geheim"):
        assert client.get("/api/export.csv", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_cors_only_for_configured_origins(make_client):
    client = make_client(api_token="geheim", cors_origins="https://intranet.groningen.nl")
    preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"}
    allowed = client.options("/api/posts", headers={"Origin": "https://intranet.groningen.nl", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://intranet.groningen.nl"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = client.options("/api/posts", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    plain = make_client(api_token="geheim").get("/api/posts", headers={"Origin": "https://intranet.groningen.nl"})
    assert "access-control-allow-origin" not in plain.headers


def test_large_bodies_are_refused(make_client):
    client = make_client(api_token="geheim", max_request_bytes=2048)
    body = {"terms": ["afval"] * 1000}
    response = client.put("/api/config/themes/groot", json=body, headers={"Authorization": "Bearer geheim"})
    assert response.status_code == 413

    def chunks():  # no Content-Length: the limit still holds
        for _ in range(10):
            yield b" " * 1024

    response = client.put("/api/config/themes/groot", content=chunks(),
                          headers={"Authorization": "Bearer geheim", "Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.get("/api/config/themes/groot").status_code == 404


def test_rate_limit_per_client(make_client):
    client = make_client(api_token="geheim", rate_limit=5)
    codes = [client.get("/api/posts").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]
    limited = client.get("/api/posts")
    assert limited.json()["detail"].startswith("Te veel verzoeken") and int(limited.headers["retry-after"]) >= 1
    assert client.get("/healthz").status_code == 200  # health checks are never limited


def test_nul_characters_are_refused(client):
    assert client.get("/api/posts", params={"q": "a\x00b"}).status_code == 400
    assert client.get("/api/posts?source=%00").status_code == 400


def test_no_traceback_reaches_the_client(sqlite_engine, config, tmp_path):
    from fastapi.testclient import TestClient

    from core.config.settings import Settings
    from newsroom.app import create_app

    settings = Settings(database_url=str(sqlite_engine.url), config=tmp_path / "watch.toml")
    client = TestClient(create_app(settings, config, sqlite_engine), raise_server_exceptions=False)
    with sqlite_engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_log"))
    response = client.get("/api/posts", params={"q": "kliko"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Interne fout; zie het serverlogboek."}
    assert "Traceback" not in response.text and "audit_log" not in response.text


def test_metrics_in_prometheus_format(client, engine):
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]}, "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed"},
        {"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl"}]})
    now = utcnow()
    with engine.begin() as conn:
        sync_sources(conn, config)
        oog, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
        run = start_run(conn, oog.id)
        ids = [ingest_post(conn, oog, {"external_id": str(n), "text": f"Bericht {n} uit Groningen",
                                     "published_at": now - timedelta(minutes=n)})[1] for n in range(4)]
        finish_run(conn, run, RunCounts(fetched=4, new=4), failed=False)
        finish_run(conn, start_run(conn, forum.id), RunCounts(), failed=True, error="HTTP 503")
        finish_run(conn, start_run(conn, forum.id), RunCounts(), failed=True, error="HTTP 503")
        for post_id in ids[:3]:
            conn.execute(insert(scores).values(post_id=post_id, label="neutral", negative=0.1, neutral=0.8,
                                               positive=0.1, model="m", model_version="1", scored_at=now))
        conn.execute(insert(alerts).values(kind="theme", key="afval", title="Afval", details={}, post_ids=[],
                                           status="open", severity="warning", opened_at=now, updated_at=now))
        record_scorer(conn, "m", "2")  # a newer version scores now: the three scores wait for it
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = response.text
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$')
    for line in body.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
    assert 'newsroom_posts_ingested_total{source="oogtv"} 4' in body
    assert 'newsroom_crawl_runs_total{source="stadforum",status="failed"} 2' in body
    assert 'newsroom_crawl_failures_total{source="stadforum"} 2' in body
    assert 'newsroom_crawl_failures_total{source="oogtv"} 0' in body
    assert "newsroom_scoring_queue_length 1" in body
    assert "newsroom_posts_scored_total 3" in body
    assert "newsroom_scores_stale 3" in body
    assert "newsroom_scoring_rate_per_minute 0.6" in body
    assert 'newsroom_alerts_active{kind="theme",status="open"} 1' in body
    assert re.search(r'newsroom_crawl_last_success_timestamp_seconds\{source="oogtv"\} \d+', body)

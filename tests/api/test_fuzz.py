"""A fuzz run of the OpenAPI schema (schemathesis): whatever a client sends, no 5xx.

Every operation gets a bounded number of generated requests (derandomized, so CI is repeatable), with
the admin token so writes are exercised too, on a store holding posts, scores and an alert.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import insert

from core.config.settings import Settings
from core.config.watch import load_config
from core.ingest.policy import ingest_post
from core.store.schema import alerts, scores
from core.store.sources import get_source, sync_sources
from newsroom.app import create_app

EXAMPLES = 12
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SOURCES = """
[[sources]]
name = "oogtv"
kind = "feed"
url = "https://www.oogtv.nl/feed/"
local = true
"""


@pytest.fixture
def app(engine, write_config):
    path = write_config(SOURCES)
    config = load_config(path)
    with engine.begin() as conn:
        sync_sources(conn, config)
        for n in range(30):
            _, post_id = ingest_post(conn, get_source(conn, "oogtv"), {
                "external_id": str(n), "url": f"https://www.oogtv.nl/{n}", "title": f"Kliko {n} vol in Selwerd",
                "text": "De container is al dagen niet geleegd; café De Drie Uiltjes klaagt.", "likes": n,
                "published_at": NOW - timedelta(hours=n)}, themes=config.themes)
            conn.execute(insert(scores).values(post_id=post_id, label="negative", negative=0.7, neutral=0.2,
                                               positive=0.1, model="test", model_version="1"))
        conn.execute(insert(alerts).values(kind="theme", key="afval", title="Afval", details={}, post_ids=[1, 2],
                                           status="open", severity="warning", opened_at=NOW, updated_at=NOW))
    settings_ = Settings(database_url=str(engine.url), config=path, api_token="geheim", rate_limit=0)
    return create_app(settings_, config, engine)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx, value) -> bytes:
    """POST /api/ingest takes JSON lines: whatever the fuzzer made, sent as one line."""
    return value if isinstance(value, bytes) else json.dumps(value, default=str).encode()


def test_no_server_errors(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    client = TestClient(app, raise_server_exceptions=False)
    failures = []
    # The wall's event stream never ends by design: a request/response fuzzer cannot call it.
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if op.path != "/api/stream"]
    assert len(operations) > 30

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            response = client.request(**case.as_transport_kwargs(headers={"Authorization": "Bearer geheim"}))
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query!r} -> {response.status_code}")

        fuzz()
    assert failures == []

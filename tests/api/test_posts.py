from datetime import datetime, timedelta, timezone

import pytest

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import scores
from core.store.sources import get_source, sync_sources

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(engine):
    config = parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "sources": [
            {"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "local": True},
            {"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl"},
        ],
    })
    with engine.begin() as conn:
        sync_sources(conn, config)
        oog, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
        ids = []
        for n in range(120):
            source = oog if n % 3 else forum
            _, post_id = ingest_post(conn, source, {
                "external_id": f"p{n}", "url": f"https://oogtv.nl/{n}", "title": f"Bericht {n}",
                "text": "Container vol aan de Vismarkt" if n % 10 == 0 else f"Gewoon nieuws {n} uit Groningen",
                "author": "OOG Redactie", "author_public": True,
                "published_at": T0 - timedelta(minutes=n),
            })
            ids.append(post_id)
        conn.execute(scores.insert().values(post_id=ids[0], label="negative", negative=0.8, neutral=0.15,
                                            positive=0.05, model="test", model_version="1"))
    return ids


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_posts_shape_and_paging(client, store):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/posts", params=params).json()
        seen += [p["id"] for p in body["items"]]
        pages += 1
        cursor = body["next"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    first = client.get("/api/posts", params={"limit": 1}).json()["items"][0]
    assert first["id"] == store[0]
    assert first["label"] == "negative"
    assert first["probabilities"] == {"negative": 0.8, "neutral": 0.15, "positive": 0.05}
    assert set(first) >= {"id", "source", "channel", "url", "title", "text", "author", "published_at", "lang",
                          "label", "probabilities", "themes"}


def test_posts_filters(client, store):
    def count(**params):
        return len(client.get("/api/posts", params={"limit": 500, **params}).json()["items"])

    assert count(channel="forum") == 40
    assert count(source="oogtv") == 80
    assert count(q="container vismarkt") == 12
    assert count(label="negative") == 1
    assert count(label="unscored") == 119
    assert count(since=(T0 - timedelta(minutes=9)).isoformat()) == 10
    assert count(until=(T0 - timedelta(minutes=110)).isoformat()) == 9  # until is exclusive


def test_bad_requests_are_clear(client, store):
    assert client.get("/api/posts", params={"cursor": "kapot"}).status_code == 422
    assert client.get("/api/posts", params={"label": "boos"}).status_code == 422
    assert client.get("/api/posts", params={"since": "2026-11-21T00:00:00Z", "until": "2026-11-20T00:00:00Z"}).status_code == 422
    missing = client.get("/api/posts/999999")
    assert missing.status_code == 404 and missing.json()["detail"] == "Bericht niet gevonden."


def test_reads_can_require_a_token(make_client, store):
    client = make_client(api_token="schrijf", read_token="lees", reads_need_token=True)
    assert client.get("/api/posts").status_code == 401
    assert client.get("/api/posts", headers={"Authorization": "Bearer lees"}).status_code == 200
    assert client.get("/api/posts", params={"token": "lees"}).status_code == 200
    assert client.get("/healthz").status_code == 200

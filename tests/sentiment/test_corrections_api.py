"""POST /api/posts/{id}/label and GET /api/corrections on a real store."""
import csv
import io
from datetime import datetime, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.corrections import router
from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import audit_log
from core.store.scores import corrections_for_training, save_scores
from core.store.sources import get_source, sync_sources

TOKEN = "geheim"


@pytest.fixture
def post_id(engine):
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "sources": [{"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "local": True}]})
    with engine.begin() as conn:
        sync_sources(conn, config)
        _, pid = ingest_post(conn, get_source(conn, "oogtv"), {
            "external_id": "a1", "title": "Vuilnis blijft liggen", "text": "=SOM(A1) Lekker dan, weer geen ophaaldienst",
            "published_at": datetime(2026, 11, 20, 9, tzinfo=timezone.utc)})
        save_scores(conn, [{"post_id": pid, "label": "positive", "negative": 0.2, "neutral": 0.2, "positive": 0.6,
                            "model": "m", "model_version": "1"}])
    return pid


@pytest.fixture
def client(engine):
    app = FastAPI()
    app.state.settings = Settings(api_token=TOKEN)
    app.state.engine = engine
    app.include_router(router)
    return TestClient(app)


def test_correcting_needs_the_token(client, post_id):
    body = {"label": "negative"}
    assert client.post(f"/api/posts/{post_id}/label", json=body).status_code == 401
    assert client.post(f"/api/posts/{post_id}/label", json=body,
                       headers={"Authorization": "Bearer fout"}).status_code == 401
    assert client.get("/api/corrections").json() == {"items": []}


def test_correct_list_export_and_train_on_it(client, engine, post_id):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post(f"/api/posts/{post_id}/label", headers=auth,
                           json={"label": "negative", "by": "Webcare Anouk", "note": "sarcasme"})
    assert response.status_code == 201
    assert response.json()["previous_label"] == "positive" and response.json()["label"] == "negative"
    client.post(f"/api/posts/{post_id}/label", headers=auth, json={"label": "neutral"})

    items = client.get("/api/corrections").json()["items"]
    assert [i["label"] for i in items] == ["neutral", "negative"]  # newest first
    assert items[1]["by"] == "Webcare Anouk" and items[1]["model_label"] == "positive"

    export = client.get("/api/corrections", params={"format": "csv"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 2 and rows[0]["text"].startswith("'=SOM")  # no spreadsheet formulas

    with engine.connect() as conn:
        assert [(r["post_id"], r["label"]) for r in corrections_for_training(conn)] == [(post_id, "neutral")]
        assert conn.execute(select(audit_log.c.action)).scalars().all() == ["label_correction"] * 2


def test_bad_corrections_are_refused(client, post_id):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post(f"/api/posts/{post_id}/label", headers=auth, json={"label": "boos"}).status_code == 422
    assert client.post("/api/posts/999999/label", headers=auth, json={"label": "negative"}).status_code == 404


def test_out_of_range_post_id_is_422_not_a_server_error(make_client):
    client = make_client(api_token="geheim")
    response = client.post("/api/posts/129866190358981/label", json={"label": "negative"},
                           headers={"Authorization": "Bearer geheim"})
    assert response.status_code == 422

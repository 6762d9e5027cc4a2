"""The audit log: who searched, exported or changed what, by token name; only the admin reads it."""
from datetime import datetime, timezone

import pytest

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.sources import get_source, sync_sources

TOKENS = "kcc:kcc-geheim,adviseurs:adv-geheim"


@pytest.fixture
def app_client(make_client, engine):
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "sources": [{"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed"}]})
    with engine.begin() as conn:
        sync_sources(conn, config)
        ingest_post(conn, get_source(conn, "oogtv"), {
            "external_id": "1", "title": "Gladheid in Beijum", "text": "Er is niet gestrooid op de fietspaden.",
            "published_at": datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)})
    return make_client(api_token="beheer", api_tokens=TOKENS)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_search_export_and_change_are_logged_by_token_name(app_client):
    assert app_client.get("/api/posts", params={"q": "gestrooid"}, headers=bearer("kcc-geheim")).json()["items"]
    app_client.get("/api/posts", params={"q": "beijum", "channel": "news"})
    app_client.get("/api/posts")  # no search: not logged
    app_client.get("/api/export.csv", params={"q": "gladheid"}, headers=bearer("adv-geheim"))
    put = app_client.put("/api/config/themes/gladheid", headers=bearer("kcc-geheim"),
                         json={"terms": ["gladheid", "strooien"], "page": "https://gemeente.groningen.nl/gladheid"})
    assert put.status_code == 201

    log = app_client.get("/api/audit", headers=bearer("beheer")).json()["items"]
    assert [(e["actor"], e["action"]) for e in log] == [
        ("kcc", "config.theme.put"), ("adviseurs", "export"), ("anonymous", "search"), ("kcc", "search")]
    assert log[0]["detail"]["after"]["terms"] == ["gladheid", "strooien"] and log[0]["detail"]["before"] is None
    assert log[1]["detail"] == {"q": "gladheid", "format": "csv", "client": "testclient"}
    assert log[2]["detail"]["channel"] == "news"
    assert log[3]["detail"]["q"] == "gestrooid"


def test_only_the_admin_reads_the_log(app_client):
    assert app_client.get("/api/audit").status_code == 401
    assert app_client.get("/api/audit", headers=bearer("kcc-geheim")).status_code == 403
    assert app_client.get("/api/audit", headers=bearer("beheer")).status_code == 200


def test_log_pages_and_filters(app_client):
    for n in range(7):
        app_client.get("/api/posts", params={"q": f"woord{n}"}, headers=bearer("kcc-geheim"))
    app_client.get("/api/export.jsonl", headers=bearer("adv-geheim"))
    first = app_client.get("/api/audit", params={"limit": 5, "action": "search"}, headers=bearer("beheer")).json()
    second = app_client.get("/api/audit", params={"limit": 5, "action": "search", "before": first["next"]},
                            headers=bearer("beheer")).json()
    assert len(first["items"]) == 5 and len(second["items"]) == 2 and second["next"] is None
    assert [e["detail"]["q"] for e in first["items"] + second["items"]] == [f"woord{n}" for n in reversed(range(7))]
    only = app_client.get("/api/audit", params={"actor": "adviseurs"}, headers=bearer("beheer")).json()["items"]
    assert [e["action"] for e in only] == ["export"]

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


def test_reads_that_show_a_person_are_logged(app_client):
    post_id = app_client.get("/api/posts").json()["items"][0]["id"]
    assert app_client.get(f"/api/posts/{post_id}", headers=bearer("kcc-geheim")).status_code == 200
    app_client.get("/api/posts", params={"author": "inwoner-3fa9c2d1"}, headers=bearer("adv-geheim"))
    app_client.get("/api/authors", params={"window": "30d"}, headers=bearer("kcc-geheim"))
    log = app_client.get("/api/audit", headers=bearer("beheer")).json()["items"]
    assert [(e["actor"], e["action"]) for e in log] == [
        ("kcc", "authors"), ("adviseurs", "posts.by_author"), ("kcc", "post.view")]
    assert log[0]["detail"]["window"] == "30d"
    assert log[1]["detail"]["author"] == "inwoner-3fa9c2d1"
    assert log[2]["detail"] == {"post_id": post_id, "client": "testclient"}


def test_the_retention_job_prunes_the_audit_log(engine):
    from datetime import timedelta

    from sqlalchemy import insert, select

    from core.store.retention import apply_retention
    from core.store.schema import audit_log

    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "privacy": {"audit_retention": "180d"}})
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    with engine.begin() as conn:
        for days in (400, 181, 179, 1):
            conn.execute(insert(audit_log).values(at=now - timedelta(days=days), actor="kcc", action="search",
                                                  detail={"days": days}))
        apply_retention(conn, config, now)
        left = [row.detail["days"] for row in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert left == [179, 1]

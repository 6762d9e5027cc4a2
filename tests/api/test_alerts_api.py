"""Closing the loop: one alert with its posts; the KCC acknowledges and resolves it with a token."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import alerts, audit_log
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
KCC = {"Authorization": "Bearer kcc-geheim"}


@pytest.fixture
def alert_id(engine):
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "sources": [{"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl"}]})
    with engine.begin() as conn:
        sync_sources(conn, config)
        ids = [ingest_post(conn, get_source(conn, "stadforum"), {
            "external_id": str(n), "url": f"https://forum.example.nl/t/{n}", "text": f"Kliko {n} al weken niet geleegd",
            "published_at": NOW}, )[1] for n in range(3)]
        return conn.execute(insert(alerts).values(
            kind="theme", key="afval", title="Afval: 3 negatieve berichten", page="https://gemeente.groningen.nl/afval",
            details={"top_terms": ["kliko"]}, post_ids=[ids[2], ids[0], ids[1]], status="open", severity="critical",
            opened_at=NOW, updated_at=NOW)).inserted_primary_key[0]


@pytest.fixture
def kcc(make_client):
    return make_client(api_token="geheim", api_tokens="kcc:kcc-geheim")


def test_one_alert_with_the_posts_behind_it(kcc, alert_id):
    alert = kcc.get(f"/api/alerts/{alert_id}").json()
    assert alert["page"] == "https://gemeente.groningen.nl/afval"
    assert [p["text"] for p in alert["posts"]] == [f"Kliko {n} al weken niet geleegd" for n in (2, 0, 1)]
    assert kcc.get("/api/alerts/999999").status_code == 404


def test_acknowledge_and_resolve(kcc, alert_id, engine):
    assert kcc.post(f"/api/alerts/{alert_id}/acknowledge").status_code == 401
    acknowledged = kcc.post(f"/api/alerts/{alert_id}/acknowledge", headers=KCC, json={"note": "wij reageren"})
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    resolved = kcc.post(f"/api/alerts/{alert_id}/resolve", headers=KCC, json={"note": "pagina aangepast"}).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert [h["by"] for h in resolved["details"]["history"]] == ["kcc", "kcc"]
    assert kcc.post(f"/api/alerts/{alert_id}/resolve", headers=KCC).status_code == 200  # again: no change
    again = kcc.post(f"/api/alerts/{alert_id}/acknowledge", headers=KCC)
    assert again.status_code == 409 and again.json()["detail"] == "Dit signaal is al afgehandeld."
    assert kcc.post("/api/alerts/999999/resolve", headers=KCC).status_code == 404
    # the list (analytics) and the store agree
    assert [a["status"] for a in kcc.get("/api/alerts").json()["items"]] == ["resolved"]
    with engine.connect() as conn:
        logged = conn.execute(select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id)).all()
    assert [tuple(r) for r in logged] == [("kcc", "alert.acknowledged"), ("kcc", "alert.resolved")]

"""The wall page and its machine feeds over the real app and store (SQLite, and PostgreSQL when set)."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from wall_data import API_TOKEN, READ_TOKEN, add_post

from core.config.settings import Settings
from core.store.schema import audit_log
from newsroom.app import create_app

STATE = re.compile(r'<script type="application/json" id="wall-state">(.*?)</script>', re.S)
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def make_wall_client(wall_engine, wall_config, tmp_path):
    def make(**overrides) -> TestClient:
        settings = Settings(database_url=str(wall_engine.url), config=tmp_path / "wall.toml", api_token=API_TOKEN,
                            **overrides)
        return TestClient(create_app(settings, wall_config, wall_engine), raise_server_exceptions=False)

    return make


@pytest.fixture
def client(make_wall_client):
    return make_wall_client()


def page_state(page: str) -> dict:
    return json.loads(STATE.search(page).group(1))


def test_wall_page_carries_every_panel(client):
    response = client.get("/wall")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="nl">' in page
    for heading in ("Stemming in de stad", "Berichten per uur", "Nieuwste berichten", "Per kanaal", "Thema's en signalen"):
        assert heading in page
    state = page_state(page)
    assert state["city"] == "Groningen" and state["mode"] == "normal"
    # 32 of the fixture posts are from the last 24 hours: 14 negative, 7 neutral, 11 positive.
    assert state["mood"]["posts"] == 32
    assert state["mood"]["net_sentiment"] == pytest.approx(100 * (11 - 14) / 32, abs=0.1)
    assert [c["channel"] for c in state["channels"]] == ["news", "forum", "social"]
    assert sum(c["posts"] for c in state["channels"]) == 32
    assert len(state["timeline"]["day"]["buckets"]) in (24, 25)
    assert sum(sum(b["counts"].values()) for b in state["timeline"]["day"]["buckets"]) == 32
    # The afval spike of the last hour is an emerging theme with an open alert, shown first.
    assert state["themes"][0]["name"] == "afval" and state["themes"][0]["emerging"]
    assert state["alerts"] and state["alerts"][0]["key"] == "afval"
    assert state["posts"][0]["text"].startswith("Al drie weken is de kliko")
    assert state["freshness"]["stale"] is False


def test_assets_are_served_locally(client):
    page = client.get("/wall").text
    assert not re.search(r'(src|href)="(https?:)?//', page), "the wall must not load anything from the internet"
    for asset in ("/wall/static/wall.js", "/wall/static/wall.css", "/wall/static/fonts/inter-latin-wght.woff2",
                  "/wall/static/favicon.svg"):
        assert client.get(asset).status_code == 200, asset
    assert "url(\"fonts/inter-latin-wght.woff2\")" in client.get("/wall/static/wall.css").text


def test_post_text_is_escaped(client, wall_engine, wall_config):
    add_post(wall_engine, wall_config, "mastodon-groningen", "<img src=x onerror=alert(1)> </script><b>Stad</b>")
    page = client.get("/wall").text
    assert "<img src=x" not in page and "</script><b>" not in page
    assert page_state(page)["posts"][0]["text"] == "<img src=x onerror=alert(1)> </script><b>Stad</b>"
    script = client.get("/wall/static/wall.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_wall_never_shows_private_individuals(client, wall_engine, wall_config):
    # A private resident (even one stored with a real name by an older import) and a public account.
    add_post(wall_engine, wall_config, "mastodon-groningen", "Mijn kliko is alweer niet geleegd in Helpman.",
             author="Sanne de Vries", author_public=False)
    add_post(wall_engine, wall_config, "stadjersforum", "Parkeren bij het Forum is weer eens vol.",
             author="inwoner-3c9d1e7a", author_public=False)
    add_post(wall_engine, wall_config, "mastodon-groningen", "Let op: de afvalinzameling in Helpman is morgen.",
             author="Gemeente Groningen", author_public=True)
    outputs = [client.get("/wall").text, client.get("/api/wall").text, client.get("/api/wall/dataset/posts").text]
    for output in outputs:
        assert "Sanne de Vries" not in output and "inwoner-3c9d1e7a" not in output
    assert "Gemeente Groningen" in outputs[0] and "Gemeente Groningen" in outputs[2]
    authors = {post["text"][:12]: post["author"] for post in client.get("/api/wall").json()["posts"]}
    assert authors["Mijn kliko i"] is None and authors["Let op: de a"] == "Gemeente Groningen"


def test_signage_feeds_are_flat_json_arrays(client):
    for feed in ("mood", "posts", "themes", "channels", "alerts"):
        response = client.get(f"/api/wall/dataset/{feed}")
        assert response.status_code == 200, feed
        rows = response.json()
        assert isinstance(rows, list) and rows, feed
        for row in rows:
            assert isinstance(row, dict)
            assert all(value is None or isinstance(value, (str, int, float, bool)) for value in row.values()), row
    mood = client.get("/api/wall/dataset/mood").json()
    assert len(mood) == 1 and mood[0]["posts"] == 32 and mood[0]["alert"].startswith("Afval")
    posts = client.get("/api/wall/dataset/posts").json()
    assert {"time", "channel", "source", "text", "label"} <= posts[0].keys()


def test_unknown_feed_is_refused(client):
    assert client.get("/api/wall/dataset/everything").status_code == 422


def test_crisis_webhook_switches_the_wall(client, wall_engine):
    body = {"theme": "afval", "message": "Storing in de afvalinzameling"}
    assert client.post("/api/wall/crisis", json=body).status_code == 401
    refused = client.post("/api/wall/crisis", json={"theme": "brand"}, headers=AUTH)
    assert refused.status_code == 422 and "afval" in refused.json()["detail"]

    assert client.post("/api/wall/crisis", json=body, headers=AUTH).status_code == 200
    state = client.get("/api/wall").json()
    assert state["mode"] == "crisis"
    assert state["crisis"]["title"] == "Afval" and state["crisis"]["message"] == body["message"]
    assert state["crisis"]["page"] == "https://gemeente.groningen.nl/afval"
    assert state["posts"] and all("afval" in post["themes"] for post in state["posts"])
    assert state["mood"]["posts"] < 32
    assert page_state(client.get("/wall").text)["mode"] == "crisis"

    assert client.post("/api/wall/crisis", json={"active": False}, headers=AUTH).status_code == 200
    assert client.get("/api/wall").json()["mode"] == "normal"
    with wall_engine.connect() as conn:
        actions = [row.action for row in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert actions == ["wall_crisis_on", "wall_crisis_off"]


def test_kiosk_url_with_a_read_token(make_wall_client):
    client = make_wall_client(reads_need_token=True, read_token=READ_TOKEN)
    assert client.get("/wall").status_code == 401
    assert client.get("/wall?token=fout").status_code == 401
    assert client.get(f"/wall?token={READ_TOKEN}").status_code == 200
    assert client.get(f"/api/wall/dataset/mood?token={READ_TOKEN}").status_code == 200
    assert client.get("/api/wall/dataset/mood").status_code == 401
    # A read token reads; it never switches the wall.
    response = client.post(f"/api/wall/crisis?token={READ_TOKEN}", json={"theme": "afval"},
                           headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert response.status_code == 401


def test_rotation_and_page_parameters(client):
    assert 'data-rotate="20"' in client.get("/wall?rotate=20").text
    assert 'data-page="week"' in client.get("/wall?page=week").text
    assert client.get("/wall?rotate=1").status_code == 422
    assert client.get("/wall?page=elders").status_code == 422

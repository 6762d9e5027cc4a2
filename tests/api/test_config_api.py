"""Sources and themes through the API: listed, changed with a token, written to the TOML file."""
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.schema import sources
from newsroom.app import create_app

SOURCES = """
# Lokale media: alles bewaren.
[[sources]]
name = "oogtv"
kind = "feed"
url = "https://www.oogtv.nl/feed/"
every = "10m"
local = true   # de eigen stadszender
"""
AUTH = {"Authorization": "Bearer geheim"}


@pytest.fixture
def setup(write_config, engine, tmp_path):
    path = write_config(SOURCES)
    settings = Settings(database_url=str(engine.url), config=path, api_token="geheim")
    client = TestClient(create_app(settings, load_config(path), engine), raise_server_exceptions=False)
    return client, path


def test_lists_what_the_file_says(setup):
    client, _ = setup
    assert [s["name"] for s in client.get("/api/config/sources").json()["items"]] == ["oogtv"]
    assert [t["name"] for t in client.get("/api/config/themes").json()["items"]] == ["afval", "parkeren"]
    assert client.get("/api/config/sources/oogtv").json()["every"] == "10m"
    assert client.get("/api/config/sources/bestaatniet").status_code == 404


def test_add_change_and_remove_a_source(setup, engine):
    client, path = setup
    body = {"kind": "discourse", "url": "https://forum.example.nl", "every": "15m", "local": True,
            "categories": ["stad", "verkeer"], "headers": {"Accept-Language": "nl"}}
    added = client.put("/api/config/sources/stadforum", json=body, headers=AUTH)
    assert added.status_code == 201, added.text
    assert added.json()["categories"] == ["stad", "verkeer"] and added.json()["name"] == "stadforum"
    written = path.read_text(encoding="utf-8")
    assert "# Lokale media: alles bewaren." in written and "# de eigen stadszender" in written  # comments kept
    assert load_config(path).source("stadforum").options["headers"] == {"Accept-Language": "nl"}
    with engine.connect() as conn:
        assert conn.execute(select(sources.c.enabled).where(sources.c.name == "stadforum")).scalar() is True

    changed = client.put("/api/config/sources/stadforum", json={**body, "every": "1h"}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["every"] == "1h"
    assert [s.name for s in load_config(path).sources] == ["oogtv", "stadforum"]

    assert client.delete("/api/config/sources/stadforum", headers=AUTH).status_code == 204
    assert [s.name for s in load_config(path).sources] == ["oogtv"]
    with engine.connect() as conn:  # kept with its posts, no longer crawled
        assert conn.execute(select(sources.c.enabled).where(sources.c.name == "stadforum")).scalar() is False
    assert client.delete("/api/config/sources/stadforum", headers=AUTH).status_code == 404


@pytest.mark.parametrize("name,body,expected", [
    ("snel", {"kind": "feed", "url": "https://x.example/rss", "every": "5s"}, "every"),
    ("fout", {"kind": "telegraaf", "url": "https://x.example/rss"}, "kind"),
    ("geenurl", {"kind": "feed", "url": "ftp://x.example"}, "url"),
    ("leeg", {"kind": "feed", "url": "https://x.example/rss", "instance": None}, "null"),
    ("anders", {"name": "iets", "kind": "feed", "url": "https://x.example/rss"}, "naam"),
])
def test_bad_changes_are_refused_and_lose_nothing(setup, name, body, expected):
    client, path = setup
    before = path.read_bytes()
    response = client.put(f"/api/config/sources/{name}", json=body, headers=AUTH)
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert path.read_bytes() == before


def test_themes_take_effect_in_the_app_at_once(setup):
    client, path = setup
    theme = {"label": "Gladheid", "terms": ["gladheid", "strooien", "pekel"], "page": "https://gemeente.groningen.nl/gladheid"}
    assert client.put("/api/config/themes/gladheid", json=theme, headers=AUTH).status_code == 201
    names = [t["name"] for t in client.get("/api/themes").json()["themes"]]
    assert "gladheid" in names
    assert client.delete("/api/config/themes/parkeren", headers=AUTH).status_code == 204
    assert [t.name for t in load_config(path).themes] == ["afval", "gladheid"]
    assert "parkeren" not in [t["name"] for t in client.get("/api/themes").json()["themes"]]


def test_hand_edits_reach_the_app(setup):
    client, path = setup
    path.write_text(path.read_text(encoding="utf-8") + '\n[[themes]]\nname = "kermis"\nterms = ["kermis"]\n',
                    encoding="utf-8")
    time.sleep(1.1)  # the app looks at the file at most once a second
    assert "kermis" in [t["name"] for t in client.get("/api/config/themes").json()["items"]]
    path.write_text("[watch]\ncity = \n", encoding="utf-8")  # broken by hand: the last good config stays
    time.sleep(1.1)
    assert "kermis" in [t["name"] for t in client.get("/api/config/themes").json()["items"]]
    refused = client.put("/api/config/themes/markt", json={"terms": ["markt"]}, headers=AUTH)
    assert refused.status_code == 422 and "TOML" in refused.json()["detail"]

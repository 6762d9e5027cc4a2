"""POST /api/ingest: JSON lines from other tools, through the crawl's ingest policy, per-line errors."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.config.settings import Settings
from core.config.watch import load_config
from core.store.schema import audit_log, post_themes, posts

SOURCES = """
[[sources]]
name = "stadforum"
kind = "discourse"
url = "https://forum.example.nl"
local = true

[[sources]]
name = "landelijk"
kind = "feed"
url = "https://nieuws.example.nl/rss"

[privacy]
public_roles = ["Gemeente Groningen"]
"""
TOKEN = {"Authorization": "Bearer geheim"}


@pytest.fixture
def api(engine, write_config):
    from newsroom.app import create_app

    path = write_config(SOURCES)
    settings = Settings(database_url=str(engine.url), config=path, api_token="geheim")
    return TestClient(create_app(settings, load_config(path), engine), raise_server_exceptions=False)


def line(**fields) -> str:
    post = {"source": "stadforum", "external_id": "t-1", "text": "De kliko is niet geleegd in Paddepoel",
            "author": "jan_p", "published_at": "2026-11-20T08:00:00+01:00"} | fields
    return json.dumps(post)


def send(api, *lines: str, headers=TOKEN):
    return api.post("/api/ingest", content="\n".join(lines).encode(), headers={**headers, "Content-Type": "application/x-ndjson"})


def test_a_write_token_is_required(api, engine):
    assert send(api, line(), headers={}).status_code == 401
    assert send(api, line(), headers={"Authorization": "Bearer fout"}).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(posts)).first() is None


def test_posts_are_stored_once_pseudonymised_and_tagged(api, engine):
    body = [line(engagement={"likes": 3, "reach": 120}, url="https://forum.example.nl/t/1"),
            line(external_id="t-2", author="Gemeente Groningen", text="Grofvuil ophalen in Groningen: zo werkt het",
                 parent_external_id="t-1")]
    first = send(api, *body)
    assert first.status_code == 200, first.text
    assert first.json() == {"lines": 2, "new": 2, "duplicates": 0, "not_relevant": 0, "error_count": 0, "errors": []}
    again = send(api, *body).json()
    assert (again["new"], again["duplicates"]) == (0, 2)

    with engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(select(posts))}
        tagged = set(conn.execute(select(posts.c.external_id).join(post_themes)
                                  .where(post_themes.c.theme == "afval")).scalars())
        audit = conn.execute(select(audit_log).where(audit_log.c.action == "import")).all()
    assert len(rows) == 2
    private, public = rows["t-1"], rows["t-2"]
    assert private.author.startswith("inwoner-") and "jan_p" not in private.author and not private.author_public
    assert public.author == "Gemeente Groningen" and public.author_public
    assert (private.likes, private.author_reach, private.channel) == (3, 120, "forum")
    assert public.parent_external_id == "t-1"
    assert tagged == {"t-1", "t-2"}  # "kliko" and "grofvuil" are terms of the theme afval
    assert [(a.actor, a.detail["new"], a.detail["via"]) for a in audit] == [("admin", 2, "api"), ("admin", 0, "api")]


def test_bad_lines_are_reported_and_good_ones_stored(api, engine):
    body = [
        line(external_id="ok-1"),
        "{niet json",
        line(external_id="ok-2", published_at="gisteren"),
        line(external_id="ok-3", source="onbekend"),
        "",
        line(external_id="ok-4", engagement={"likes": -1}),
        line(external_id="ok-5", text="", title=None),
        line(external_id="ok-6", channel="news"),
        json.dumps({"source": "stadforum", "text": "zonder id"}),
        line(external_id="ok-7", source="landelijk", text="Het weer in Drenthe"),
        line(external_id="ok-8", text="Afval naast de container in Groningen", source="landelijk"),
    ]
    result = send(api, *body).json()
    assert (result["lines"], result["new"], result["not_relevant"]) == (10, 2, 1)
    errors = {(e["line"], e["field"]) for e in result["errors"]}
    assert errors == {(2, None), (3, "published_at"), (4, "source"), (6, "engagement.likes"), (7, None),
                      (8, "channel"), (9, "external_id"), (9, "published_at")}
    assert result["error_count"] == len(result["errors"])
    reasons = {(e["line"], e["field"]): e["reason"] for e in result["errors"]}
    assert "onbekende bron 'onbekend'" in reasons[(4, "source")]
    assert reasons[(3, "published_at")].startswith("is geen geldige datum")
    assert reasons[(6, "engagement.likes")] == "mag niet negatief zijn"
    assert reasons[(9, "external_id")] == "ontbreekt"
    with engine.connect() as conn:
        assert set(conn.execute(select(posts.c.external_id)).scalars()) == {"ok-1", "ok-8"}


def test_a_request_is_stored_in_batches_with_replies_kept_and_duplicates_within_it(api, engine, monkeypatch):
    """Lines are stored IMPORT_BATCH at a time: a reply (without the city) to a kept post of a national
    source is kept, also when its parent is in the same batch; a line repeating an earlier one is a
    duplicate, also within a batch."""
    from core.ingest import imports

    monkeypatch.setattr(imports, "IMPORT_BATCH", 3)
    body = [line(source="landelijk", external_id=f"n-{i}", text=f"Nieuws {i} uit Groningen", author=None)
            for i in range(4)]
    body += [line(source="landelijk", external_id="r-1", text="Bij ons ook!", parent_external_id="n-3"),
             line(source="landelijk", external_id="r-2", text="Hier ook", parent_external_id="n-0"),
             line(source="landelijk", external_id="r-3", text="Bij ons niet", parent_external_id="elders"),
             line(source="landelijk", external_id="n-3", text="Nieuws 3 uit Groningen", author=None)]
    result = send(api, *body).json()
    assert (result["lines"], result["new"], result["duplicates"], result["not_relevant"]) == (8, 6, 1, 1)
    with engine.connect() as conn:
        assert set(conn.execute(select(posts.c.external_id)).scalars()) == {"n-0", "n-1", "n-2", "n-3", "r-1", "r-2"}


def test_the_body_size_is_capped(make_client):
    client = make_client(api_token="geheim", max_request_bytes=2048)
    response = send(client, *[line(external_id=f"x-{i}") for i in range(40)])
    assert response.status_code == 413

"""The Overzicht keeps its costly figures (mood and themes, workspace/overview.py) a short while, but a
correction or a signal made by a person shows on the next view, and the figures are the API's."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from workspace_data import add_post, csrf_of

from core.store.schema import alerts, scores
from core.store.sources import RunCounts, finish_run, get_source, start_run


def _posts_figure(html: str) -> int:
    found = re.search(r'<dt>Berichten</dt><dd><a class="utrecht-link" href="/berichten\?periode=24u">(\d+)</a>', html)
    assert found, html[:3000]
    return int(found.group(1))


def _label_figure(html: str, label: str) -> int:
    found = re.search(rf'href="/berichten\?periode=24u&amp;label={label}">(\d+)</a>', html)
    assert found, html[:3000]
    return int(found.group(1))


def test_overview_figures_are_the_summarys(as_role, ws_app):
    page = as_role("webcare").get("/").text
    summary = TestClient(ws_app).get("/api/summary").json()
    assert _posts_figure(page) == summary["posts"]
    for label in ("negative", "neutral", "positive"):
        assert _label_figure(page, label) == summary[label]


def test_overview_figures_are_kept_but_a_correction_shows_at_once(as_role, ws_app, engine, ws_config):
    client = as_role("webcare")
    first = client.get("/").text
    cache = ws_app.state.overview_figures
    kept = cache._entry.computed

    # A new post does not recompute the figures within their minute: the newest list is live.
    post_id = add_post(engine, ws_config, "rtvnoord", "Nieuw bericht over de Vismarkt in Groningen", label="negative")
    second = client.get("/").text
    assert cache._entry.computed == kept and _posts_figure(second) == _posts_figure(first)
    assert f'href="/berichten/{post_id}"' in second

    # A correction by a person does, at once.
    with engine.connect() as conn:
        target, was = conn.execute(select(scores.c.post_id, scores.c.label).where(scores.c.label == "neutral")).first()
    page = client.get(f"/berichten/{target}")
    client.post(f"/berichten/{target}/label", data={"label": "positive", "csrf_token": csrf_of(page.text)})
    third = client.get("/").text
    assert cache._entry.computed != kept
    assert _posts_figure(third) == _posts_figure(first) + 1, "recomputed: the new post counts now too"
    assert _label_figure(third, "positive") == _label_figure(second, "positive") + 1

    # So does a signal acknowledged, and the age limit.
    computed = cache._entry.computed
    with engine.connect() as conn:
        alert_id = conn.execute(select(alerts.c.id).where(alerts.c.status == "open")).scalar()
    if alert_id is not None:
        page = client.get(f"/signalen/{alert_id}")
        client.post(f"/signalen/{alert_id}/status", data={"status": "acknowledged", "csrf_token": csrf_of(page.text)})
        client.get("/")
        assert cache._entry.computed != computed
        computed = cache._entry.computed
    cache.max_age = 0
    client.get("/")
    assert cache._entry.computed != computed


def _run(engine, source: str, *, failed: bool) -> None:
    with engine.begin() as conn:
        run_id = start_run(conn, get_source(conn, source).id)
        finish_run(conn, run_id, RunCounts(fetched=3), failed=failed, error="HTTP 503" if failed else None)


def test_overview_names_the_sources_whose_last_run_failed(as_role, engine):
    client = as_role("webcare")
    _run(engine, "oogtv", failed=False)
    _run(engine, "oogtv", failed=True)
    _run(engine, "rtvnoord", failed=True)
    _run(engine, "rtvnoord", failed=False)
    page = client.get("/").text
    assert "1 met een mislukte laatste run:" in page and 'href="/berichten?bron=oogtv">oogtv</a>' in page
    assert "bron=rtvnoord" not in page, "its last run was ok again"
    _run(engine, "oogtv", failed=False)
    assert "geen problemen" in client.get("/").text

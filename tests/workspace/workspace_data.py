"""Helpers of the workspace tests: a store with Dutch posts about Groningen (the wall's fixture
posts, tests/dashboard/fixtures), one account per role, and signing in."""
from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from itertools import count
from pathlib import Path

from core.analytics.emerging import run_alerts
from core.ingest.policy import ingest_post
from core.store import accounts
from core.store.schema import utcnow
from core.store.scores import save_scores
from core.store.sources import get_source, sync_sources

FIXTURES = Path(__file__).resolve().parents[1] / "dashboard" / "fixtures"
PROBABILITIES = {"negative": (0.82, 0.13, 0.05), "neutral": (0.1, 0.8, 0.1), "positive": (0.04, 0.14, 0.82)}
PASSWORD = "correct paard batterij"
ROLES = ("webcare", "adviseur", "beheer")
API_TOKEN = "schrijf-token"

_ids = count(1)


def add_post(engine, config, source: str, text: str, *, title: str | None = None, label: str | None = "neutral",
             at=None, author: str | None = None, url: str | None = None) -> int:
    """One post through the ingest policy (themes, story) and its score through the scorer's save."""
    n = next(_ids)
    item = {"external_id": f"ws-{n}", "url": url or f"https://example.nl/{source}/{n}", "title": title, "text": text,
            "author": author, "author_id": author, "author_public": False, "published_at": at or utcnow()}
    with engine.begin() as conn:
        status, post_id = ingest_post(conn, get_source(conn, source), item, themes=config.themes)
        assert status == "new"
        if label:
            negative, neutral, positive = PROBABILITIES[label]
            save_scores(conn, [{"post_id": post_id, "label": label, "negative": negative, "neutral": neutral,
                                "positive": positive, "model": "test-model", "model_version": "1", "lang": "nl"}])
    return post_id


def fill(engine, config) -> None:
    """The wall's fixture posts, the alerts they raise, and an account per role (password PASSWORD)."""
    now = utcnow()
    with engine.begin() as conn:
        sync_sources(conn, config)
    for post in json.loads((FIXTURES / "wall_posts.json").read_text(encoding="utf-8")):
        add_post(engine, config, post["source"], post["text"], title=post.get("title"), label=post.get("label"),
                 at=now - timedelta(minutes=post["minutes_ago"]), author=post.get("author"))
    with engine.begin() as conn:
        run_alerts(conn, config, now)
        for role in ROLES:
            accounts.create_account(conn, role, role, PASSWORD)


def writable_config(tmp_path: Path) -> Path:
    """A copy of the wall's watch configuration the tests may change (through /bronnen)."""
    path = tmp_path / "watch.toml"
    shutil.copy(FIXTURES / "wall.toml", path)
    return path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client, name: str, password: str = PASSWORD, target: str = "/"):
    """Sign `client` (a TestClient) in through the login form; returns the response after the redirect."""
    page = client.get("/inloggen")
    return client.post("/inloggen", data={"naam": name, "wachtwoord": password, "csrf_token": csrf_of(page.text),
                                          "volgende": target})

"""`newsroom import`: a Coosto-style CSV export and JSON lines, through the same checks as POST /api/ingest."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from core.ingest.imports import MAPPINGS
from core.store.db import make_engine
from core.store.schema import audit_log, posts

SOURCES = """
[[sources]]
name = "x-groningen"
kind = "x"
url = "https://api.x.com/2"
enabled = false

[[sources]]
name = "dvhn"
kind = "feed"
url = "https://dvhn.example.nl/rss"
"""

# Dutch Excel writes ; and local time without a zone; a message spans two lines in one quoted cell.
COOSTO = (
    "date;url;title;message;author;source;sentiment;followers;likes;shares;comments\n"
    "2026-11-20 08:15:00;https://x.com/jan_p/status/1;;Weer geen kliko geleegd in Groningen @piet_g;jan_p;"
    "twitter;negative;1.250;4;1;2\n"
    '2026-11-20 09:00:00;https://dvhn.example.nl/a/2;Nieuwe parkeerregels;"Groningen voert nieuwe\nparkeerregels in";'
    "Redactie DvhN;dvhn.nl;neutral;;;;\n"
    "gisteren;https://x.com/kees/status/3;;Drukte in Groningen;kees;twitter;;;;;\n"
    "2026-11-20 10:00:00;https://x.com/anna/status/4;;Mooi weer in Groningen;anna;instagram;;;;;\n"
)


def newsroom(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsroom.cli", "import", *args], env={**os.environ, "COLUMNS": "200", **env},
                          capture_output=True, text=True, timeout=120)


def setup(write_config, tmp_path, extra: str = "") -> tuple[dict, str]:
    config = write_config(SOURCES + extra)
    db = f"sqlite:///{tmp_path / 'import.db'}"
    return {"NEWSROOM_CONFIG": str(config), "NEWSROOM_DATABASE_URL": db}, db


def test_a_coosto_export_with_its_mapping(write_config, tmp_path):
    env, db = setup(write_config, tmp_path)
    mapping = tmp_path / "coosto-groningen.toml"
    mapping.write_text((MAPPINGS / "coosto.toml").read_text(encoding="utf-8").replace(
        '# "twitter" = "x-groningen"', '"twitter" = "x-groningen"').replace('# "dvhn.nl" = "dvhn"', '"dvhn.nl" = "dvhn"'),
        encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text(COOSTO, encoding="utf-8-sig")

    done = newsroom(str(export), "--mapping", str(mapping), env=env)
    assert done.returncode == 1, done.stderr  # bad rows: exit 1, the good ones stored
    assert "4 regels: 2 nieuw, 0 dubbel, 0 niet relevant, 2 fout" in done.stdout
    assert "regel 5 (published_at): is geen geldige datum" in done.stderr  # the header is line 1, row 2 spans 3-4
    assert "regel 6 (source): onbekende bron 'instagram'" in done.stderr

    engine = make_engine(db)
    with engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(select(posts))}
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.detail).where(audit_log.c.action == "import")).all()
    tweet = next(r for r in rows.values() if r.channel == "social")
    article = next(r for r in rows.values() if r.channel == "news")
    assert tweet.author.startswith("inwoner-") and "jan_p" not in (tweet.external_id + (tweet.url or ""))
    assert "@piet_g" not in tweet.text and "@inwoner-" in tweet.text
    assert (tweet.author_reach, tweet.likes, tweet.reposts, tweet.replies) == (1250, 4, 1, 2)
    assert tweet.published_at.isoformat().startswith("2026-11-20T07:15:00")  # 08:15 in Amsterdam
    assert article.text == "Groningen voert nieuwe\nparkeerregels in" and article.author == "Redactie DvhN"
    assert [(a.actor, a.detail["new"]) for a in audit] == [("cli", 2)]

    again = newsroom(str(export), "--mapping", str(mapping), env=env)
    assert "2 nieuw" not in again.stdout and "0 nieuw, 2 dubbel" in again.stdout
    engine.dispose()


def test_json_lines_with_a_default_source(write_config, tmp_path):
    env, db = setup(write_config, tmp_path)
    lines = [
        {"external_id": "a1", "text": "Container vol in Groningen", "published_at": "2026-11-20T08:00:00Z",
         "author": "kees", "engagement": {"likes": 2}},
        {"external_id": "a2", "text": "Geen tijdzone", "published_at": "2026-11-20T08:00:00"},
        {"source": "dvhn", "external_id": "a3", "title": "Weer in Drenthe", "published_at": "2026-11-20T08:00:00Z"},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")

    done = newsroom(str(path), "--source", "x-groningen", env=env)
    assert done.returncode == 1
    assert "3 regels: 1 nieuw, 0 dubbel, 1 niet relevant, 1 fout" in done.stdout, done.stdout + done.stderr
    assert "regel 2 (published_at): mist een tijdzone" in done.stderr


def test_an_unknown_column_stops_before_anything_is_stored(write_config, tmp_path):
    env, db = setup(write_config, tmp_path)
    path = tmp_path / "export.csv"
    path.write_text("when,message\n2026-11-20,Groningen\n", encoding="utf-8")
    done = newsroom(str(path), "--source", "dvhn", env=env)
    assert done.returncode == 2
    assert "geen kolom voor 'external_id'" in done.stderr and "when, message" in done.stderr

from datetime import datetime, timezone

from sqlalchemy import select

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import Ingest
from core.store.schema import post_themes, posts
from core.store.sources import get_source, sync_sources

CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"], "exclude": ["FC Groningen"]},
    "themes": [{"name": "afval", "terms": ["afval", "kliko"]}],
    "sources": [
        {"name": "landelijk", "kind": "feed", "url": "https://nos.example/rss"},
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.example/feed", "local": True},
        {"name": "mastodon-groningen", "kind": "mastodon", "url": "https://mastodon.example"},
    ],
    "privacy": {"public_roles": ["gemeentegroningen"]},
})
WHEN = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def test_relevance_depends_on_locality(engine):
    ingest = Ingest(CONFIG, Settings(pseudonym_salt="s"))
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        national, local = get_source(conn, "landelijk"), get_source(conn, "oogtv")
    about_assen = {"title": "Brand in Assen", "text": "Veel rook."}
    assert not ingest.relevant(national, about_assen)
    assert ingest.relevant(local, about_assen)
    assert ingest.relevant(national, {"title": "Brand in Groningen", "text": ""})
    assert not ingest.relevant(national, {"title": "FC Groningen wint", "text": ""})


def test_private_handles_never_reach_the_store(engine):
    ingest = Ingest(CONFIG, Settings(pseudonym_salt="s"))
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        social = get_source(conn, "mastodon-groningen")
        _, private = ingest.store(conn, social, {
            "external_id": "1", "author": "Anna de Boer", "author_id": "annadeboer@mastodon.example",
            "text": "@gemeentegroningen mijn kliko is niet geleegd, @buurman@mastodon.example ook niet",
            "published_at": WHEN,
        })
        _, public = ingest.store(conn, social, {
            "external_id": "2", "author": "Gemeente Groningen", "author_id": "gemeentegroningen",
            "text": "We halen het afval morgen op.", "published_at": WHEN,
        })
        rows = {r.id: r for r in conn.execute(select(posts))}
        tagged = conn.execute(select(post_themes.c.post_id, post_themes.c.theme)).all()
    stored = " ".join(str(v) for r in rows.values() for v in r)
    assert "Anna" not in stored and "annadeboer" not in stored and "buurman" not in stored
    assert rows[private].author.startswith("inwoner-") and "@gemeentegroningen" in rows[private].text
    assert rows[public].author == "Gemeente Groningen" and rows[public].author_public
    assert sorted(tagged) == sorted([(private, "afval"), (public, "afval")])

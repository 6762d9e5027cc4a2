from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.filters import PostFilter
from core.store.schema import posts
from core.store.search import fts5_query
from core.store.sources import get_source, sync_sources

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "sources": [{"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "local": True}],
})
POSTS = {
    "cafe": ("Café De Drie Uiltjes dicht", "Het café aan de Oude Boteringestraat sluit na veertig jaar."),
    "financien": ("Financiële zorgen", "De gemeente maakt zich zorgen over de financiële positie van het zwembad."),
    "ruine": (None, "De ruïne van de oude suikerfabriek wordt eindelijk opgeruimd; bewoners zijn geïnformeerd."),
    "creme": ("Crème brûlée op de Vismarkt", "Een nieuwe kraam met crème brûlée en façade-kunst."),
    "container": ("Containers vol", "Weer overvolle afvalcontainers bij de Vismarkt, de kliko's blijven staan."),
    "kliko": ("Kliko niet geleegd", "Mijn kliko is al twee weken niet geleegd in Paddepoel."),
    "parkeren": ("Parkeren duurder", "Parkeervergunning in de binnenstad wordt volgend jaar duurder."),
}


@pytest.fixture
def ids(engine):
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        source = get_source(conn, "oogtv")
        found = {}
        for n, (key, (title, text)) in enumerate(POSTS.items()):
            _, found[key] = ingest_post(conn, source, {
                "external_id": key, "url": f"https://oogtv.nl/{key}", "title": title, "text": text,
                "published_at": T0 - timedelta(hours=n),
            })
    return found


def search(engine, q):
    with engine.connect() as conn:
        return {row.id for row in conn.execute(select(posts.c.id).where(*PostFilter(q=q).conditions()))}


def test_dutch_diacritics_fold_both_ways(engine, ids):
    assert search(engine, "financiele") == {ids["financien"]}
    assert search(engine, "FINANCIËLE") == {ids["financien"]}
    assert search(engine, "ruine") == {ids["ruine"]}
    assert search(engine, "geinformeerd") == {ids["ruine"]}
    assert search(engine, "cafe") == {ids["cafe"]}
    assert search(engine, "creme brulee") == {ids["creme"]}  # grave and circumflex too
    assert search(engine, "facade") == {ids["creme"]}


def test_query_syntax(engine, ids):
    assert search(engine, "vismarkt") == {ids["container"], ids["creme"]}
    assert search(engine, '"oude suikerfabriek"') == {ids["ruine"]}
    assert search(engine, '"suikerfabriek oude"') == set()
    assert search(engine, "vismarkt -kraam") == {ids["container"]}
    assert search(engine, "kliko OR parkeervergunning") == {ids["container"], ids["kliko"], ids["parkeren"]}
    assert search(engine, "-vismarkt") == set(ids.values()) - {ids["container"], ids["creme"]}


@pytest.mark.parametrize("hostile", ['"', "((", "NEAR(a b)", "*", "a AND", "OR", "-", "kolom:waarde", "'; drop table posts; --", "\\"])
def test_any_input_is_a_query_not_an_error(engine, ids, hostile):
    assert isinstance(search(engine, hostile), set)


def test_index_follows_changes(engine, ids):
    with engine.begin() as conn:
        conn.execute(update(posts).where(posts.c.id == ids["kliko"]).values(text="Nu over de ringweg."))
        conn.execute(delete(posts).where(posts.c.id == ids["parkeren"]))
    assert search(engine, "ringweg") == {ids["kliko"]}
    assert search(engine, "paddepoel") == set()
    assert search(engine, "parkeervergunning") == set()


def test_fts5_query_quotes_every_term():
    assert fts5_query('afval "oude markt" -kliko') == ("match", '(("afval"*) AND ("oude markt")) NOT ("kliko"*)')
    assert fts5_query("kliko OR container") == ("match", '("kliko"* OR "container"*)')
    assert fts5_query("-kliko") == ("exclude", '"kliko"*')
    assert fts5_query('!!! "" -') == ("none", "")
    assert fts5_query('a"b') == ("match", '("a b"*)')

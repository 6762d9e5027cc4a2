"""Search, sorting and cursor paging on /api/posts, and one post with its score, story and thread."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import label_corrections, scores
from core.store.sources import get_source, sync_sources

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "themes": [{"name": "afval", "terms": ["afval", "container", "kliko"]}],
    "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.nl/feed", "local": True},
        {"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl", "local": True},
    ],
})


STREETS = ("Boteringestraat", "Herestraat", "Oosterstraat", "Zuiderdiep", "Ebbingestraat", "Folkingestraat", "Korreweg",
           "Damsterdiep", "Nieuweweg", "Kraneweg", "Hoendiep", "Peizerweg", "Helperzoom", "Verlengde", "Praediniussingel",
           "Noorderhaven", "Zuiderhaven", "Oosterhaven", "Westerhaven", "Radesingel", "Emmasingel", "Sumatralaan",
           "Vinkenstraat", "Hoornsedijk", "Selwerd", "Vinkhuizen")


@pytest.fixture
def store(engine):
    """130 posts: every 5th about overflowing containers (some twice in title and text), engagement
    rising with n, a forum thread of three, and an article syndicated to the forum."""
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        oog, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
        ids = []
        for n in range(130):
            about = n % 5 == 0
            _, post_id = ingest_post(conn, oog, {
                "external_id": f"p{n}", "url": f"https://oogtv.nl/{n}",
                "title": ("Container vol" if n % 10 == 0 else "Bericht") + f" {n}",
                # Each overflow at its own street: the same sentence twice would be one story.
                "text": f"Overvolle container bij de Vismarkt, gemeld door {n} bewoners uit de {STREETS[n // 5]} en omgeving."
                if about else f"Gewoon stadsnieuws nummer {n}.",
                "likes": n, "reposts": n % 7, "replies": None,
                "published_at": T0 - timedelta(minutes=n),
            }, themes=CONFIG.themes)
            ids.append(post_id)
        _, topic = ingest_post(conn, forum, {
            "external_id": "t1", "url": "https://forum.example.nl/t/1", "title": "Wie haalt de kliko op?",
            "text": "Al twee weken staat de kliko vol in Paddepoel.", "thread_url": "https://forum.example.nl/t/1",
            "published_at": T0 - timedelta(hours=5),
        })
        replies = [ingest_post(conn, forum, {
            "external_id": f"t1-{i}", "url": f"https://forum.example.nl/t/1/{i}", "text": f"Bij ons ook, reactie {i}.",
            "parent_external_id": "t1", "thread_url": "https://forum.example.nl/t/1",
            "published_at": T0 - timedelta(hours=4, minutes=-i),
        })[1] for i in (1, 2)]
        _, copy = ingest_post(conn, forum, {
            "external_id": "copy", "url": "https://forum.example.nl/t/2", "title": "Container vol 0",
            "text": f"Overvolle container bij de Vismarkt, gemeld door 0 bewoners uit de {STREETS[0]} en omgeving.", "published_at": T0 + timedelta(minutes=3),
        })
        conn.execute(insert(scores).values(post_id=ids[0], label="negative", negative=0.8, neutral=0.15,
                                           positive=0.05, model="test", model_version="7", lang="nl", flags=["lang"]))
        conn.execute(insert(label_corrections).values(post_id=ids[0], label="neutral", previous_label="negative",
                                                      by="webcare", note="feitelijk bericht", created_at=T0))
    return {"posts": ids, "topic": topic, "replies": replies, "copy": copy}


def pages(client, **params):
    seen, cursor, count = [], None, 0
    while True:
        response = client.get("/api/posts", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        seen += body["items"]
        count += 1
        cursor = body["next"]
        if not cursor:
            return seen, count
        assert count < 50, "paging does not end"


def test_relevance_pages_through_every_match(client, store):
    items, count = pages(client, q="container", sort="relevance", limit=10)
    assert count == 3 and len(items) == 27 and len({p["id"] for p in items}) == 27
    scores_ = [p["relevance"] for p in items]
    assert scores_ == sorted(scores_, reverse=True)
    # container in title and text ranks above text only
    assert {p["id"] for p in items[:14]} == {*store["posts"][::10], store["copy"]}


@pytest.mark.parametrize("sort", ["newest", "oldest", "engagement"])
def test_sorts_page_without_gaps_or_repeats(client, store, sort):
    items, count = pages(client, sort=sort, limit=40, source="oogtv")
    assert count == 4 and len(items) == 130 and len({p["id"] for p in items}) == 130
    if sort == "engagement":
        totals = [p["engagement"]["likes"] + p["engagement"]["reposts"] for p in items]
        assert totals == sorted(totals, reverse=True)
    else:
        stamps = [p["published_at"] for p in items]
        assert stamps == sorted(stamps, reverse=sort == "newest")


def test_filters_combine_with_search(client, store):
    items, _ = pages(client, q="vismarkt", source="stadforum", limit=50)
    assert [p["id"] for p in items] == [store["copy"]]
    items, _ = pages(client, q="vismarkt -bericht", limit=50)
    assert {p["id"] for p in items} == {*store["posts"][::10], store["copy"]}
    items, _ = pages(client, q="kliko OR paddepoel", label="unscored", limit=50)
    assert [p["id"] for p in items] == [store["topic"]]


def test_cursor_of_another_sort_is_refused(client, store):
    cursor = client.get("/api/posts", params={"limit": 5, "sort": "newest"}).json()["next"]
    response = client.get("/api/posts", params={"limit": 5, "sort": "oldest", "cursor": cursor})
    assert response.status_code == 422


def test_one_post_with_score_story_and_thread(client, store):
    post = client.get(f"/api/posts/{store['posts'][0]}").json()
    assert post["score"]["model_version"] == "7" and post["score"]["flags"] == ["lang"]
    assert post["corrections"][0]["label"] == "neutral" and post["corrections"][0]["by"] == "webcare"
    assert post["themes"] == ["afval"]
    assert post["story"]["posts"] == 2 and [p["id"] for p in post["story"]["others"]] == [store["copy"]]

    topic = client.get(f"/api/posts/{store['topic']}").json()
    assert [r["id"] for r in topic["thread"]["replies"]] == store["replies"]
    assert topic["thread"]["parent"] is None
    reply = client.get(f"/api/posts/{store['replies'][0]}").json()
    assert reply["thread"]["parent"]["id"] == store["topic"]
    assert reply["thread"]["url"] == "https://forum.example.nl/t/1"
    assert client.get("/api/posts/0").status_code == 422

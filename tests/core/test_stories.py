from datetime import timedelta

from analytics_data import NOW, add_post, prepare
from sqlalchemy import func, select

from core.analytics.stories import story_counts, top_stories
from core.ingest.stories import regroup
from core.store.schema import posts, stories

H = timedelta(hours=1)
ARTICLE = ("Het college van burgemeester en wethouders van Groningen heeft dinsdag besloten dat de "
           "afvalinzameling in de binnenstad vanaf januari twee keer per week plaatsvindt.")


def _fill(conn):
    prepare(conn)
    ids = {}
    # the story: first on rtvnoord, then syndicated by dvhn (same title with the outlet's suffix, text
    # with a source line), then shared on mastodon as a repost with a link
    ids["first"] = add_post(conn, "rtvnoord", at=NOW - 5 * H, title="Vaker afval ophalen in de binnenstad", text=ARTICLE)
    ids["dvhn"] = add_post(conn, "dvhn", at=NOW - 4 * H, title="Vaker afval ophalen in de binnenstad - DvhN",
                           text="GRONINGEN - " + ARTICLE)
    ids["repost"] = add_post(conn, "mastodon", at=NOW - 3 * H, text="RT @rtvnoord: " + ARTICLE + " https://rtvnoord.nl/1")
    # a copy found by dvhn's feed two hours *before* rtvnoord's is seen: it becomes the first post
    ids["early"] = add_post(conn, "reddit", at=NOW - 7 * H, text=ARTICLE)
    # unrelated posts
    ids["other"] = add_post(conn, "mastodon", at=NOW - 2 * H, text="Prachtige zonsondergang boven het Hoornsemeer")
    ids["other2"] = add_post(conn, "dvhn", at=NOW - 1 * H, title="Nieuwe burgemeester geïnstalleerd", text="Een andere tekst.")
    return ids


def test_syndicated_story_is_counted_once(engine):
    with engine.begin() as conn:
        ids = _fill(conn)
        story_ids = dict(conn.execute(select(posts.c.id, posts.c.story_id)).all())
        assert story_ids[ids["first"]] == story_ids[ids["dvhn"]] == story_ids[ids["repost"]] == story_ids[ids["early"]]
        assert len(set(story_ids.values())) == 3
        counts = story_counts(conn, now=NOW)
        assert counts["posts"] == 6 and counts["stories"] == 3 and counts["amplified"] == 1
        top = top_stories(conn, now=NOW)
    story = top["items"][0]
    assert story["posts"] == 4 and story["sources"] == 4 and story["amplification"] == 4
    assert story["title"] == "Vaker afval ophalen in de binnenstad"
    assert story["first_source"] == "reddit"  # the earliest published copy
    assert top["stories"] == 3


def test_old_story_with_the_same_title_is_a_new_story(engine):
    with engine.begin() as conn:
        prepare(conn)
        a = add_post(conn, "rtvnoord", at=NOW - timedelta(days=20), title="Gemeenteraad vergadert over de begroting", text="Eerste.")
        b = add_post(conn, "dvhn", at=NOW, title="Gemeenteraad vergadert over de begroting", text="Tweede.")
        assert conn.execute(select(posts.c.story_id).where(posts.c.id == a)).scalar() != \
            conn.execute(select(posts.c.story_id).where(posts.c.id == b)).scalar()


def test_regroup_gives_the_same_stories(engine):
    with engine.begin() as conn:
        _fill(conn)
        before = story_counts(conn, now=NOW)
        assert regroup(conn) == 3
        assert story_counts(conn, now=NOW) == before
        assert conn.execute(select(func.max(stories.c.posts))).scalar() == 4


def test_near_duplicates_join_the_story_and_different_news_does_not(engine):
    lead = ("De gemeente Groningen gaat de Diepenring tussen de Oosterhaven en de Turfsingel dit voorjaar "
            "opnieuw inrichten met bredere fietspaden, meer bomen en minder parkeerplaatsen langs het water.")
    with engine.begin() as conn:
        prepare(conn)
        first = add_post(conn, "rtvnoord", at=NOW - 5 * H, title="Diepenring krijgt nieuwe inrichting", text=lead)
        # a repost with a comment line above it
        comment = add_post(conn, "mastodon", at=NOW - 4 * H, author_id="a",
                           text="Eindelijk, daar hebben we lang op gewacht! " + lead)
        # the lead lightly rewritten by another outlet
        rewritten = add_post(conn, "dvhn", at=NOW - 3 * H, title="Nieuwe inrichting Diepenring",
                             text=lead.replace("dit voorjaar", "komend voorjaar").replace("minder parkeerplaatsen", "veel minder parkeerplekken"))
        # another story in the same words' neighbourhood
        other = add_post(conn, "reddit", at=NOW - 2 * H, author_id="b",
                         text="De gemeente Groningen sluit de parkeergarage aan de Oosterhaven dit voorjaar voor groot "
                              "onderhoud, automobilisten moeten uitwijken naar de Boterdiep garage.")
        story = dict(conn.execute(select(posts.c.id, posts.c.story_id)).all())
    assert story[first] == story[comment] == story[rewritten]
    assert story[other] != story[first]


def test_the_labelled_story_pairs_are_enough_and_refer_to_the_recorded_feeds():
    import json
    from pathlib import Path

    import pytest

    pairs_file = Path(__file__).parent / "fixtures" / "story_pairs.jsonl"
    pairs = [json.loads(line) for line in pairs_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(pairs) >= 200
    assert {p["label"] for p in pairs} == {"same", "different"}
    # item references only: no third-party text in the repository beyond our own comment lines
    assert all(set(p["a"]) == {"feed", "id"} and set(p["b"]) <= {"feed", "id", "transform", "comment"} for p in pairs)
    feeds = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "feeds" / "dutch"
    if not feeds.is_dir():
        pytest.skip(f"the recorded Dutch feeds are not at {feeds}")
    import feedparser

    entries = {(path.relative_to(feeds).as_posix(), entry.get("id") or entry.get("link"))
               for path in feeds.rglob("*.xml") for entry in feedparser.parse(str(path)).entries}
    assert all((p[side]["feed"], p[side]["id"]) in entries for p in pairs for side in ("a", "b"))

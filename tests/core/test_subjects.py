"""Data-subject requests: find and erase everything stored about one handle (core.ingest.subjects)."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import Ingest
from core.ingest.subjects import erase, find
from core.store import audit
from core.store.newsletters import save as save_newsletter
from core.store.retention import archived_label_counts
from core.store.schema import alerts, archived_counts, newsletters, posts, scores, stories, story_keys
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "sources": [{"name": "mastodon", "kind": "mastodon", "url": "https://mastodon.nl", "local": True,
                 "hashtags": ["groningen"]}],
    "privacy": {"public_roles": ["gemeentegroningen"]},
})
PIET = "piet@mastodon.nl"


def _fill(engine):
    ingest = Ingest(CONFIG, Settings(pseudonym_key="test-pseudonym-key-0123456789abcdef"))
    items = [
        ("1", PIET, "Piet de Vries", "De kliko aan de Korreweg is weer niet geleegd, al drie weken niet in Groningen"),
        ("2", PIET, "Piet de Vries", "Nog steeds niets gehoord van de gemeente over mijn kliko in Groningen"),
        ("3", "anna@mastodon.nl", "Anna", "@piet@mastodon.nl heeft gelijk, bij ons in Groningen ook"),
        ("4", "gemeentegroningen", "Gemeente Groningen", "Wij halen het afval in Groningen morgen alsnog op"),
    ]
    ids = {}
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        source = get_source(conn, "mastodon")
        for n, (external_id, handle, name, text) in enumerate(items):
            _, post_id = ingest.store(conn, source, {
                "external_id": external_id, "url": f"https://mastodon.nl/statuses/{external_id}", "text": text,
                "author": name, "author_id": handle, "published_at": NOW - timedelta(hours=n + 1)})
            conn.execute(insert(scores).values(post_id=post_id, label="negative", negative=0.8, neutral=0.1,
                                               positive=0.1, model="t", model_version="1"))
            ids[external_id] = post_id
        conn.execute(insert(alerts).values(kind="theme", key="afval", title="Afval",
                                           post_ids=[ids["1"], ids["4"]]))
        piet = ingest.pseudonymiser.pseudonym(PIET)
        save_newsletter(conn, "2026-W47", subject="Week 47", html="<p>…</p>",
                        text=f"Negatief: De kliko aan de Korreweg is weer niet geleegd, al drie weken … ({piet})")
        save_newsletter(conn, "2026-W46", subject="Week 46", html="<p>…</p>", text="Een rustige week.")
    return ingest, ids


def test_find_lists_posts_mentions_stories_and_newsletters(engine):
    ingest, ids = _fill(engine)
    with engine.begin() as conn:
        report = find(conn, ingest.pseudonymiser, PIET, actor="fg")
        logged = audit.entries(conn, action="privacy.find")["items"]
    assert report["pseudonym"] == ingest.pseudonymiser.pseudonym(PIET) and report["public"] is False
    assert [p["id"] for p in report["posts"]] == [ids["2"], ids["1"]]  # oldest first
    assert [p["id"] for p in report["mentions"]] == [ids["3"]]
    assert len(report["stories"]) == 2 and report["newsletters"] == ["2026-W47"]
    # The log names the pseudonym and the counts, never the handle.
    assert logged[0]["actor"] == "fg" and PIET not in str(logged) and logged[0]["detail"]["posts"] == 2


def test_erase_removes_everything_and_keeps_anonymous_counts(engine):
    ingest, ids = _fill(engine)
    with engine.begin() as conn:
        done = erase(conn, ingest.pseudonymiser, PIET, actor="fg")
    assert (done["posts"], done["mentions"], done["newsletters"]) == (2, 1, 1)
    with engine.connect() as conn:
        left = {row.id: row for row in conn.execute(select(posts))}
        assert set(left) == {ids["3"], ids["4"]}
        assert left[ids["3"]].text.startswith("@… heeft gelijk")
        assert conn.execute(select(func.count()).select_from(scores)).scalar() == 2
        assert conn.execute(select(alerts.c.post_ids)).scalar() == [ids["4"]]
        titles = [row.title for row in conn.execute(select(stories))]
        assert len(titles) == 2 and not [t for t in titles if "kliko" in t or "inwoner-" in t]
        assert conn.execute(select(func.count()).select_from(story_keys)).scalar() >= 2
        kept = dict(conn.execute(select(newsletters.c.week, newsletters.c.text)).all())
        assert "kliko" not in kept["2026-W47"] and kept["2026-W46"] == "Een rustige week."
        assert archived_label_counts(conn, NOW - timedelta(days=1), NOW)["negative"] == 2
        assert conn.execute(select(func.sum(archived_counts.c.n))).scalar() == 2
        entry = audit.entries(conn, action="privacy.erase")["items"][0]
    assert entry["detail"]["posts"] == 2 and PIET not in str(entry)
    with engine.begin() as conn:
        again = find(conn, ingest.pseudonymiser, PIET, actor="fg")
    assert not again["posts"] and not again["mentions"] and not again["newsletters"]


def test_a_public_handle_is_found_by_name_too(engine):
    ingest, ids = _fill(engine)
    with engine.begin() as conn:
        report = find(conn, ingest.pseudonymiser, "gemeentegroningen", actor="fg")
    assert report["public"] is True and [p["id"] for p in report["posts"]] == [ids["4"]]

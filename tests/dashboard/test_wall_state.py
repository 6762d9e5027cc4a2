"""core.wall: the wall state, the reuse of its slow panels, the crisis switch and the signage rows."""
from __future__ import annotations

from datetime import timedelta

from wall_data import add_post

from core.analytics.wall import (
    SLOW_EVERY,
    clear_crisis,
    dataset,
    set_crisis,
    store_version,
    wall_state,
)
from core.store.schema import utcnow


def test_slow_panels_are_reused_for_a_minute(wall_engine, wall_config):
    now = utcnow()
    with wall_engine.connect() as conn:
        first = wall_state(conn, wall_config, now=now)
    add_post(wall_engine, wall_config, "oogtv", "Afvalcontainer in de Korrewegwijk vandaag weer geleegd.",
             title="Containers Korrewegwijk geleegd", at=now - timedelta(seconds=1))
    with wall_engine.connect() as conn:
        soon = wall_state(conn, wall_config, now=now + timedelta(seconds=5), reuse=first)
        later = wall_state(conn, wall_config, now=now + SLOW_EVERY + timedelta(seconds=1), reuse=first)
    afval = lambda state: next(t for t in state["themes"] if t["name"] == "afval")  # noqa: E731
    # The fast panels see the new post at once; the themes follow within SLOW_EVERY.
    assert soon["mood"]["posts"] == first["mood"]["posts"] + 1
    assert soon["posts"][0]["title"] == "Containers Korrewegwijk geleegd"
    assert afval(soon)["posts"] == afval(first)["posts"] and soon["slow_at"] == first["slow_at"]
    assert afval(later)["posts"] == afval(first)["posts"] + 1


def test_crisis_scopes_the_state_and_is_never_served_from_reuse(wall_engine, wall_config):
    with wall_engine.begin() as conn:
        normal = wall_state(conn, wall_config)
        before = store_version(conn)
        set_crisis(conn, "parkeren", "Parkeergarage Damsterdiep dicht", by="test")
        assert store_version(conn) != before
        crisis = wall_state(conn, wall_config, reuse=normal)
        assert crisis["mode"] == "crisis" and crisis["crisis"]["title"] == "Parkeren"
        assert crisis["slow_at"] != normal["slow_at"]
        assert crisis["themes"][0]["name"] == "parkeren" and crisis["themes"][0]["crisis"]
        assert all("parkeren" in post["themes"] for post in crisis["posts"])
        assert sum(sum(b["counts"].values()) for b in crisis["timeline"]["week"]["buckets"]) == 4
        assert clear_crisis(conn) and not clear_crisis(conn)
        assert wall_state(conn, wall_config)["mode"] == "normal"


def test_stale_when_no_post_came_in_for_hours(wall_engine, wall_config):
    with wall_engine.connect() as conn:
        assert wall_state(conn, wall_config)["freshness"]["stale"] is False
        state = wall_state(conn, wall_config, now=utcnow() + timedelta(hours=4))
    assert state["freshness"]["stale"] is True and state["freshness"]["latest_post"]


def test_dataset_rows_follow_the_state(wall_engine, wall_config):
    with wall_engine.connect() as conn:
        state = wall_state(conn, wall_config)
    assert [row["channel"] for row in dataset(state, "channels")] == ["news", "forum", "social"]
    assert dataset(state, "themes")[0] == {
        "theme": "afval", "title": "Afval", "posts": 9, "previous_posts": 1, "trend": "up",
        "net_sentiment": state["themes"][0]["net_sentiment"], "emerging": True,
        "emerging_title": state["themes"][0]["emerging"]["title"], "page": "https://gemeente.groningen.nl/afval",
    }


def test_mentions_of_private_people_show_as_an_ellipsis(wall_engine, wall_config):
    """The store keeps @mentions of private people as pseudonyms; the wall shows not even those."""
    from core.ingest.privacy import Pseudonymiser

    keyed = Pseudonymiser("test-salt", ["@gemeentegroningen"])
    text = keyed.mentions("@piet_p en @gemeentegroningen: de kliko aan de Korreweg is weer niet geleegd")
    assert "@inwoner-" in text
    add_post(wall_engine, wall_config, "oogtv", text, title=keyed.mentions("Vraag van @piet_p"))
    with wall_engine.connect() as conn:
        state = wall_state(conn, wall_config)
    post = next(p for p in state["posts"] if "Korreweg" in p["text"])
    assert post["text"].startswith("@… en @gemeentegroningen: de kliko") and post["title"] == "Vraag van @…"
    assert "inwoner-" not in str(state)

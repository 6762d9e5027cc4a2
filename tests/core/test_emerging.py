from datetime import timedelta

from analytics_data import CONFIG, NOW, add_post, prepare
from sqlalchemy import select

from core.analytics.emerging import detect, list_alerts, run_alerts
from core.store.filters import PostFilter
from core.store.schema import alerts

H = timedelta(hours=1)


def _baseline(conn, days=15):
    """Normal days: one afval post every four hours and a parking post every two hours."""
    prepare(conn)
    for i in range(6 * days):
        add_post(conn, "reddit", at=NOW - (4 * i + 3) * H, text=f"Vraag {i} over de kliko", label="neutral")
    for i in range(12 * days):
        add_post(conn, "mastodon", at=NOW - (2 * i + 1.5) * H, text=f"Parkeren {i} in de Stad", label="neutral")


def _spike(conn, at, n=8):
    """n angry posts about overflowing containers within the hour before `at`."""
    ids = []
    for i in range(n):
        ids.append(add_post(conn, "mastodon", at=at - timedelta(minutes=5 + 6 * i),
                            text=f"Weer een overvolle container bij de Vismarkt ({at:%H:%M}, {i}). Stank!",
                            label="negative"))
    return ids


def test_a_quiet_store_has_no_issues(engine):
    with engine.begin() as conn:
        _baseline(conn)
        assert detect(conn, CONFIG, NOW) == []
        assert run_alerts(conn, CONFIG, NOW) == []


def test_a_young_store_is_not_all_new(engine):
    # one day of history: the day comparison has no baseline yet and stays silent
    with engine.begin() as conn:
        _baseline(conn, days=1)
        assert detect(conn, CONFIG, NOW) == []


def test_spike_is_detected_with_figures_terms_and_posts(engine):
    with engine.begin() as conn:
        _baseline(conn)
        spike = _spike(conn, NOW)
        issues = detect(conn, CONFIG, NOW)
    theme_issues = [i for i in issues if i["kind"] == "theme"]
    assert [i["key"] for i in theme_issues] == ["afval"]
    issue = theme_issues[0]
    assert issue["window"] == "1h" and issue["baseline"] == "24h" and issue["trigger"] == "volume"
    assert issue["posts"] == 8 and issue["expected"] == 0.25 and issue["growth"] == 32.0
    assert issue["negative"] == 8 and issue["net_sentiment"] == -100.0
    assert issue["previous_net_sentiment"] == 0.0 and issue["sentiment_change"] == -100.0
    assert issue["page"] == "https://gemeente.groningen.nl/afval"
    assert sorted(issue["post_ids"]) == sorted(spike)
    assert {"overvolle", "vismarkt", "stank"} <= set(issue["top_terms"])
    assert "container" not in issue["top_terms"]  # the theme's own term says nothing new
    assert issue["title"].startswith("Afval: 8 berichten in het afgelopen uur")
    # the same burst brings new words up as term issues
    terms = {i["key"] for i in issues if i["kind"] == "term"}
    assert {"vismarkt", "overvolle"} <= terms


def test_spike_alerts_once_and_not_again_inside_the_cooldown(engine):
    with engine.begin() as conn:
        _baseline(conn)
        _spike(conn, NOW)
        first = run_alerts(conn, CONFIG, NOW)
        assert len(first) >= 1
        row = conn.execute(select(alerts).where(alerts.c.kind == "theme")).one()
        assert row.key == "afval" and row.status == "open" and row.page == "https://gemeente.groningen.nl/afval"
        assert len(row.post_ids) == 8 and row.details["growth"] == 32.0 and "top_terms" in row.details
        # ten minutes later, the spike goes on: no second alert
        _spike(conn, NOW + timedelta(minutes=10), n=3)
        again = run_alerts(conn, CONFIG, NOW + timedelta(minutes=10))
        assert conn.execute(select(alerts.c.id).where(alerts.c.kind == "theme")).all() == [(row.id,)]
        assert again == []
        # past the cooldown (6 h) a new spike alerts again
        later = NOW + timedelta(hours=7)
        _spike(conn, later, n=10)
        assert run_alerts(conn, CONFIG, later)
        assert len(conn.execute(select(alerts.c.id).where(alerts.c.kind == "theme")).all()) == 2
        listed = list_alerts(conn, status="open", kind="theme")
        assert [a["key"] for a in listed] == ["afval", "afval"] and listed[0]["opened_at"] == later.isoformat()


def test_negative_spike_in_a_busy_theme_and_filters(engine):
    config = CONFIG.model_copy(update={"alerts": CONFIG.alerts.model_copy(update={"min_posts": 4})})
    with engine.begin() as conn:
        prepare(conn)
        # parking is always busy (3 posts per hour, neutral): volume stays normal ...
        for hour in range(1, 25):
            for k in range(3):
                add_post(conn, "mastodon", at=NOW - hour * H - timedelta(minutes=10 * k),
                         text=f"Parkeren {hour}-{k} ging prima", label="neutral")
        # ... but in the last hour 4 of its 4 posts are negative
        for k in range(4):
            add_post(conn, "reddit", at=NOW - timedelta(minutes=5 + 10 * k),
                     text=f"Parkeervergunning {k} kwijt, app werkt niet", label="negative")
        issues = [i for i in detect(conn, config, NOW) if i["kind"] == "theme"]
        assert [(i["key"], i["trigger"], i["negative"]) for i in issues] == [("parkeren", "negative", 4)]
        # the same posts seen through a filter on the news channel: nothing
        assert detect(conn, config, NOW, PostFilter(channel="news")) == []

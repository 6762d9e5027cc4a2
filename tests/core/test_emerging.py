import random
from datetime import datetime, timedelta, timezone

from analytics_data import CONFIG, NOW, add_post, prepare
from sqlalchemy import select

from core.analytics.emerging import detect, list_alerts, run_alerts
from core.store.filters import PostFilter
from core.store.schema import alerts, posts

H = timedelta(hours=1)


def _baseline(conn, days=15):
    """Normal days: one afval post every four hours and a parking post every two hours."""
    prepare(conn)
    for i in range(6 * days):
        add_post(conn, "reddit", at=NOW - (4 * i + 3) * H, text=f"Vraag {i} over de kliko", label="neutral")
    for i in range(12 * days):
        add_post(conn, "mastodon", at=NOW - (2 * i + 1.5) * H, text=f"Parkeren {i} in de Stad", label="neutral")


def _spike(conn, at, n=8):
    """n angry posts about overflowing containers within the hour before `at`, each its own story (in
    its own words: near-identical posts would be one story, counted once)."""
    ids = []
    for i in range(n):
        tail = _distinct_text(random.Random(f"{at}-{i}"), "meeuwen")
        ids.append(add_post(conn, "mastodon", at=at - timedelta(minutes=5 + 6 * i),
                            text=f"Weer een overvolle container bij de Vismarkt. Stank! {tail}",
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
    # the hour against the profile of the 14 earlier days, whose same hour never held an afval post
    # (only the plain mean's little share: an hour with no story so far is not a certain zero)
    assert issue["window"] == "1h" and issue["baseline"] == "14d" and issue["trigger"] == "volume"
    assert issue["posts"] == 8 and issue["expected"] < 0.1 and issue["growth"] > 80
    assert issue["p_value"] < CONFIG.alerts.significance
    assert issue["negative"] == 8 and issue["net_sentiment"] == -100.0
    assert issue["previous_net_sentiment"] == 0.0 and issue["sentiment_change"] == -100.0
    assert issue["page"] == "https://gemeente.groningen.nl/afval"
    assert sorted(issue["post_ids"]) == sorted(spike)
    assert {"overvolle", "vismarkt", "stank"} <= set(issue["top_terms"])
    assert "container" not in issue["top_terms"]  # the theme's own term says nothing new
    assert issue["title"] == "Afval: 8 berichten in het afgelopen uur (normaal 0,0)"
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
        assert len(row.post_ids) == 8 and row.details["growth"] > 80 and "top_terms" in row.details
        assert row.severity == "critical"  # eight stories where none were expected
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


def test_after_an_alert_its_stories_do_not_open_another(engine):
    config = CONFIG.model_copy(update={"alerts": CONFIG.alerts.model_copy(update={"cooldown": "1h"})})
    with engine.begin() as conn:
        _baseline(conn)
        _spike(conn, NOW)
        assert len(run_alerts(conn, config, NOW)) >= 1
        # past the short cooldown the spike's stories are still in the six hours looked at, but they
        # were the first alert's: the test starts again after it (the sequential test's reset)
        later = NOW + timedelta(minutes=70)
        assert [i["key"] for i in detect(conn, config, later) if i["kind"] == "theme"] == ["afval"]
        assert [a for a in run_alerts(conn, config, later)
                if conn.execute(select(alerts.c.kind).where(alerts.c.id == a)).scalar() == "theme"] == []
        # new stories after the alert are a new rise
        _spike(conn, later + timedelta(minutes=10), n=9)
        assert run_alerts(conn, config, later + timedelta(minutes=10))


def test_negative_spike_in_a_busy_theme_and_filters(engine):
    config = CONFIG.model_copy(update={"alerts": CONFIG.alerts.model_copy(update={"min_posts": 4})})
    with engine.begin() as conn:
        prepare(conn)
        # parking is always busy (3 posts per hour, neutral, for nine days: four negative stories where
        # none were in the same hour of eight earlier days is significant): volume stays normal ...
        for hour in range(1, 9 * 24 + 1):
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


# --- issue 15: stories count once, the baseline knows the week, a rise must be significant ----------

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)  # a Monday morning
_VOCABULARY = ("straat buurt ochtend bewoner vraag melding dinsdag fiets school winkel plein brug hoek tuin "
               "lantaarn bank hond regen zon wind markt kade haven toren park trein kerk tas deur raam dak").split()


def _distinct_text(rng, theme_word):
    """A sentence that shares no run of words with the others: each is its own story."""
    return " ".join(rng.sample(_VOCABULARY, 9)) + f" {theme_word} " + " ".join(rng.sample(_VOCABULARY, 4))


def _weekly_rhythm(conn, weeks=5):
    """Five weeks of kliko questions: six an hour on weekday mornings (8-10), one every six hours else."""
    prepare(conn)
    rng = random.Random(15)
    start = MONDAY.replace(hour=0, minute=0) - timedelta(weeks=weeks)
    for day in range(7 * weeks):
        midnight = start + timedelta(days=day)
        for hour in range(24):
            if midnight.weekday() < 5 and hour in (8, 9):
                minutes = (5, 15, 25, 35, 45, 55)
            elif hour % 6 == 3:
                minutes = (20,)
            else:
                continue
            for minute in minutes:
                add_post(conn, "reddit", at=midnight + timedelta(hours=hour, minutes=minute),
                         text=_distinct_text(rng, "kliko"), label="neutral")
    # this Monday's own morning so far
    for minute in (5, 15, 25, 35, 45, 55):
        add_post(conn, "reddit", at=MONDAY.replace(hour=8, minute=minute), text=_distinct_text(rng, "kliko"),
                 label="neutral")
    for minute in (5, 15, 25):
        add_post(conn, "reddit", at=MONDAY.replace(hour=9, minute=minute), text=_distinct_text(rng, "kliko"),
                 label="neutral")


def test_a_weekday_morning_rise_is_no_signal_but_an_incident_on_top_is(engine):
    with engine.begin() as conn:
        _weekly_rhythm(conn)
        # against the plain mean of the (quiet) Sunday before, this morning is a rise: the old rule fired
        sunday = [t for t in (r[0] for r in conn.execute(select(posts.c.published_at))) if
                  MONDAY - timedelta(hours=25) <= _utc(t) < MONDAY - timedelta(hours=1)]
        assert len(sunday) / 24 < 1 and 6 >= CONFIG.alerts.min_posts and 6 >= CONFIG.alerts.sensitivity * 1
        # the seasonal baseline knows Monday mornings: no issue
        assert [i for i in detect(conn, CONFIG, MONDAY) if i["kind"] == "theme"] == []
        # a real incident: fifteen more stories about the kliko within the hour
        rng = random.Random(16)
        for k in range(15):
            add_post(conn, "mastodon", at=MONDAY - timedelta(minutes=2 + 3 * k), text=_distinct_text(rng, "kliko"),
                     label="negative")
        issues = [i for i in detect(conn, CONFIG, MONDAY) if i["kind"] == "theme"]
    # against the profile of the 28 days before (weekday mornings held six an hour), in local time
    assert [(i["key"], i["window"], i["baseline"]) for i in issues] == [("afval", "1h", "28d")]
    issue = issues[0]
    assert issue["posts"] == 21 and 5 < issue["expected"] < 7 and issue["p_value"] < CONFIG.alerts.significance


def test_syndicated_copies_count_once(engine):
    press_release = "De gemeente Groningen haalt de kliko's in Beijum deze week een dag later op door een staking."
    with engine.begin() as conn:
        _baseline(conn)
        for k, source in enumerate(("rtvnoord", "dvhn", "mastodon", "reddit")):
            add_post(conn, source, at=NOW - timedelta(minutes=5 + k), text=press_release, label="negative")
        rng = random.Random(17)
        for k in range(2):
            add_post(conn, "mastodon", at=NOW - timedelta(minutes=20 + k), text=_distinct_text(rng, "kliko"),
                     label="negative")
        # six posts, but three stories: below min_posts (5), so no issue
        assert [i for i in detect(conn, CONFIG, NOW) if i["kind"] == "theme"] == []
        for k in range(2):
            add_post(conn, "reddit", at=NOW - timedelta(minutes=30 + k), text=_distinct_text(rng, "kliko"),
                     label="negative")
        issues = [i for i in detect(conn, CONFIG, NOW) if i["kind"] == "theme"]
    assert [(i["key"], i["posts"], i["copies"], i["negative"]) for i in issues] == [("afval", 5, 8, 5)]
    assert issues[0]["title"].startswith("Afval: 5 berichten (8 met overnames) in het afgelopen uur")


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

from datetime import timedelta

from analytics_data import CONFIG, NOW, add_post, prepare
from sqlalchemy import select

from core.analytics.themes import theme_stats
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.ingest.themes import retag, retag_if_changed, tag_new_posts, themes_for
from core.store.schema import post_themes
from core.store.sources import get_source


def _themes_of(conn, post_id):
    return sorted(conn.execute(select(post_themes.c.theme).where(post_themes.c.post_id == post_id)).scalars())


def test_themes_match_compounds_case_and_diacritics():
    themes = CONFIG.themes
    assert themes_for(themes, None, "De afvalcontainer op de Grote Markt puilt uit") == ["afval"]
    assert themes_for(themes, "KLIKO'S NIET GELEEGD", "") == ["afval"]
    assert themes_for(themes, None, "Restafval en een parkeervergunning") == ["afval", "parkeren"]
    assert themes_for(themes, "Parkéren bij het station", None) == ["parkeren"]
    # a term inside an unrelated word does not count
    assert themes_for(themes, None, "Het concert in De Oosterpoort was prachtig") == []


def test_posts_are_tagged_at_ingest(engine):
    with engine.begin() as conn:
        prepare(conn)
        a = add_post(conn, "rtvnoord", at=NOW, title="Grofvuil blijft liggen", text="Bewoners in Selwerd klagen.")
        b = add_post(conn, "mastodon", at=NOW, text="Geen parkeerplaats te vinden bij het Zernike.")
        c = add_post(conn, "reddit", at=NOW, text="Mooie zonsondergang boven de stad vandaag.")
        assert _themes_of(conn, a) == ["afval"]
        assert _themes_of(conn, b) == ["parkeren"]
        assert _themes_of(conn, c) == []


def test_retag_only_when_the_themes_change(engine):
    with engine.begin() as conn:
        prepare(conn)
        post = add_post(conn, "rtvnoord", at=NOW, text="Het nieuwe fietspad langs het Reitdiep is open.")
        assert retag_if_changed(conn, CONFIG.themes) is True  # never tagged with a stored hash before
        assert retag_if_changed(conn, CONFIG.themes) is False
        assert _themes_of(conn, post) == []

        changed = parse_config({
            "watch": {"city": "Groningen", "terms": ["Groningen"]},
            "themes": [*(t.model_dump() for t in CONFIG.themes), {"name": "verkeer", "terms": ["fietspad"]}],
        })
        assert retag_if_changed(conn, changed.themes) is True
        assert _themes_of(conn, post) == ["verkeer"]
        assert retag_if_changed(conn, changed.themes) is False
        # a theme removed: its tags go
        assert retag(conn, CONFIG.themes) == 0
        assert _themes_of(conn, post) == []


def test_theme_stats_counts_window_and_previous(engine):
    with engine.begin() as conn:
        prepare(conn)
        add_post(conn, "rtvnoord", at=NOW - timedelta(hours=1), text="Container vol", label="negative")
        add_post(conn, "mastodon", at=NOW - timedelta(hours=2), text="Kliko eindelijk geleegd", label="positive")
        add_post(conn, "reddit", at=NOW - timedelta(hours=3), text="Waar laat ik mijn grofvuil?")
        add_post(conn, "reddit", at=NOW - timedelta(hours=30), text="Afval naast de container gezet")
        add_post(conn, "mastodon", at=NOW - timedelta(hours=5), text="Parkeren is hier duur", label="negative")
        stats = theme_stats(conn, CONFIG.themes, now=NOW)
    afval, parkeren = stats["themes"]
    assert afval["name"] == "afval" and afval["title"] == "Afval"
    assert (afval["posts"], afval["negative"], afval["positive"], afval["unscored"]) == (3, 1, 1, 1)
    assert afval["net_sentiment"] == 0.0
    assert afval["previous_posts"] == 1 and afval["change"] == 2
    assert afval["page"] == "https://gemeente.groningen.nl/afval"
    assert (parkeren["posts"], parkeren["net_sentiment"]) == (1, -100.0)


def test_posts_saved_without_themes_are_tagged_by_the_job(engine):
    with engine.begin() as conn:
        prepare(conn)
        assert retag_if_changed(conn, CONFIG.themes) is False  # empty store: only remembers the themes
        tagged = add_post(conn, "rtvnoord", at=NOW, text="Kliko vergeten")
        _, untagged = ingest_post(conn, get_source(conn, "reddit"),
                                {"external_id": "x1", "text": "Parkeerplaats bezet", "published_at": NOW})
        assert _themes_of(conn, untagged) == []
        assert tag_new_posts(conn, CONFIG.themes) == 2
        assert _themes_of(conn, untagged) == ["parkeren"] and _themes_of(conn, tagged) == ["afval"]
        assert tag_new_posts(conn, CONFIG.themes) == 0

from datetime import timedelta

from analytics_data import NOW, add_post, prepare

from core.analytics.summary import summary
from core.store.filters import PostFilter

H = timedelta(hours=1)


def _fill(conn):
    prepare(conn)
    # the last 24 h: 2 negative, 1 neutral, 3 positive, 1 unscored = 7 posts
    add_post(conn, "rtvnoord", at=NOW - 1 * H, text="Container in brand in Vinkhuizen", label="negative")
    add_post(conn, "mastodon", at=NOW - 2 * H, text="Weer geen parkeerplaats, schandalig", label="negative")
    add_post(conn, "reddit", at=NOW - 3 * H, text="Wanneer gaat de Kardinge-ijsbaan open?", label="neutral")
    add_post(conn, "mastodon", at=NOW - 4 * H, text="Wat een mooi Noorderzon-weekend", label="positive")
    add_post(conn, "dvhn", at=NOW - 5 * H, text="Nieuw park in de Oosterparkwijk geopend", label="positive")
    add_post(conn, "mastodon", at=NOW - 6 * H, text="Dank aan de vuilnismannen!", label="positive")
    add_post(conn, "reddit", at=NOW - 23 * H, text="Wie weet een goede kapper in de Stad?")
    # the 24 h before: 2 negative, 1 positive
    add_post(conn, "rtvnoord", at=NOW - 25 * H, text="Kliko's niet geleegd in Beijum", label="negative")
    add_post(conn, "mastodon", at=NOW - 30 * H, text="Afval overal op straat na het feest", label="negative")
    add_post(conn, "dvhn", at=NOW - 47 * H, text="Fietsenstalling bij het station uitgebreid", label="positive")
    # outside both windows and exactly at the end (until is exclusive)
    add_post(conn, "dvhn", at=NOW - 49 * H, text="Oud nieuws over de Grote Markt", label="negative")
    add_post(conn, "dvhn", at=NOW, text="Net binnen: persconferentie burgemeester", label="neutral")


def test_summary_counts_shares_net_and_previous(engine):
    with engine.begin() as conn:
        _fill(conn)
        result = summary(conn, now=NOW, min_sample=5)
    assert (result["posts"], result["negative"], result["neutral"], result["positive"], result["unscored"]) == (7, 2, 1, 3, 1)
    assert result["net_sentiment"] == round(100 * (3 - 2) / 7, 1) == 14.3
    assert result["shares"] == {"negative": 28.6, "neutral": 14.3, "positive": 42.9, "unscored": 14.3}
    assert result["low_sample"] is False
    previous = result["previous"]
    assert (previous["posts"], previous["negative"], previous["positive"]) == (3, 2, 1)
    assert previous["net_sentiment"] == -33.3 and previous["low_sample"] is True
    assert result["change"] == {"posts": 4, "net_sentiment": 47.6}
    assert result["since"] == (NOW - 24 * H).isoformat() and result["until"] == NOW.isoformat()


def test_summary_filters_and_low_sample(engine):
    with engine.begin() as conn:
        _fill(conn)
        social = summary(conn, PostFilter(channel="social"), now=NOW)
        afval = summary(conn, PostFilter(theme="afval"), now=NOW)
        week = summary(conn, PostFilter(source="dvhn"), window=timedelta(days=7), now=NOW)
        empty = summary(conn, PostFilter(source="reddit"), now=NOW - timedelta(days=30))
    assert (social["posts"], social["negative"], social["positive"]) == (3, 1, 2)
    assert social["low_sample"] is True  # 3 posts: below the default minimum of 20
    # afval: "Container in brand" now; "Kliko's" and "Afval" the day before ("vuilnismannen" is no term)
    assert (afval["posts"], afval["previous"]["posts"]) == (1, 2)
    assert week["posts"] == 3 and week["previous"]["posts"] == 0
    assert empty["posts"] == 0 and empty["net_sentiment"] is None and empty["change"]["net_sentiment"] is None


def test_summary_with_explicit_since_until(engine):
    with engine.begin() as conn:
        _fill(conn)
        result = summary(conn, PostFilter(since=NOW - 6 * H, until=NOW - 2 * H), min_sample=1)
    # [NOW-6h, NOW-2h): the posts at -6h, -5h, -4h and -3h; the one at -2h is at `until`, outside
    assert result["posts"] == 4
    assert result["previous"]["since"] == (NOW - 10 * H).isoformat()

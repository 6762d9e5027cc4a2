from datetime import timedelta

from analytics_data import CONFIG, NOW, add_post, prepare

from core.analytics.summary import net_interval, summary
from core.analytics.themes import theme_stats
from core.store.filters import PostFilter
from core.store.scores import set_languages

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
    # the mood rests on the 6 scored posts (6 stories); the one waiting for the scorer is not in it
    assert result["stories"] == 7 and result["scored"] == 6 and result["sample"] == 6
    assert result["net_sentiment"] == round(100 * (3 - 2) / 6, 1) == 16.7
    assert result["shares"] == {"negative": 33.3, "neutral": 16.7, "positive": 50.0}
    assert result["low_sample"] is False and result["margin"] is not None
    previous = result["previous"]
    assert (previous["posts"], previous["negative"], previous["positive"]) == (3, 2, 1)
    assert previous["net_sentiment"] == -33.3 and previous["low_sample"] is True
    # a change against a window too small to read is no change anyone can read
    assert result["change"] == {"posts": 4, "net_sentiment": None}
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


def test_other_languages_are_counted_apart_not_as_unscored(engine):
    """Ten Dutch positive posts and ten English ones: +100, with 10 in other languages (it read +50)."""
    with engine.begin() as conn:
        prepare(conn)
        places = ("de Vismarkt", "het Noorderplantsoen", "de Grote Markt", "het Zuiderdiep", "de Oosterpoort",
                  "het Stadspark", "Paddepoel", "de Hoornse Plas", "het Forum", "de Martinitoren")
        for n, place in enumerate(places):
            add_post(conn, "mastodon", at=NOW - (n + 1) * H, text=f"Genieten bij {place}", label="positive")
        # tagged Dutch by their app: the scorer found them English
        english = [add_post(conn, "mastodon", at=NOW - (n + 1) * H, text=f"Loving {place}", lang="nl")
                   for n, place in enumerate(places)]
        set_languages(conn, dict.fromkeys(english, "en"))  # what the scorer records for them
        result = summary(conn, now=NOW, min_sample=10)
    assert result["net_sentiment"] == 100.0
    assert (result["posts"], result["scored"], result["other_language"], result["unscored"]) == (20, 10, 10, 0)
    assert result["shares"] == {"negative": 0.0, "neutral": 0.0, "positive": 100.0}
    assert result["sample"] == 10 and result["low_sample"] is False


def test_a_syndicated_story_counts_once_in_the_mood(engine):
    """Four copies of one negative press release and four distinct positive posts: +60, not 0."""
    release = "Gemeente Groningen sluit het zwembad in Kardinge per direct wegens ernstige lekkage in het dak"
    with engine.begin() as conn:
        prepare(conn)
        for n, source in enumerate(("rtvnoord", "dvhn", "mastodon", "reddit")):
            add_post(conn, source, at=NOW - (n + 1) * H, text=release, label="negative", author_id=f"a{n}")
        for n, text in enumerate(("Mooi concert in de Oosterpoort", "Nieuwe bomen op de Vismarkt, prachtig",
                                  "Fijne markt vandaag in Stad", "Dank aan de buschauffeur van lijn 5")):
            add_post(conn, "mastodon", at=NOW - (n + 1) * H, text=text, label="positive", author_id=f"b{n}")
        result = summary(conn, now=NOW, min_sample=1)
    assert (result["posts"], result["stories"]) == (8, 5)
    assert (result["negative"], result["positive"]) == (4, 4)  # posts
    assert result["story_counts"]["negative"] == 1 and result["story_counts"]["positive"] == 4
    assert result["net_sentiment"] == 60.0 and result["sample"] == 5


def test_a_storys_label_is_its_majority_and_a_tie_goes_to_the_first_post(engine):
    first = "Het nieuwe fietspad langs het Reitdiep in Groningen is vandaag officieel geopend door de wethouder"
    second = "Stadjers klagen over de lange wachttijden bij het Stadsbeheer loket in Groningen deze hele week"
    with engine.begin() as conn:
        prepare(conn)
        # story 1: negative first, then positive: a tie, the first post's label wins
        add_post(conn, "rtvnoord", at=NOW - 5 * H, text=first, label="negative")
        add_post(conn, "dvhn", at=NOW - 4 * H, text=first, label="positive")
        # story 2: positive first, then two negative copies: the majority wins
        add_post(conn, "rtvnoord", at=NOW - 3 * H, text=second, label="positive")
        add_post(conn, "dvhn", at=NOW - 2 * H, text=second, label="negative")
        add_post(conn, "mastodon", at=NOW - 1 * H, text=second, label="negative", author_id="x")
        result = summary(conn, now=NOW, min_sample=1)
    assert result["stories"] == 2 and result["story_counts"]["negative"] == 2 and result["net_sentiment"] == -100.0


def test_theme_mood_counts_stories_and_carries_its_sample(engine):
    release = "Container in brand bij de Vismarkt in Groningen, de brandweer was snel ter plaatse en bluste"
    with engine.begin() as conn:
        prepare(conn)
        for n, source in enumerate(("rtvnoord", "dvhn", "reddit")):
            add_post(conn, source, at=NOW - (n + 1) * H, text=release, label="negative", author_id=f"a{n}")
        add_post(conn, "mastodon", at=NOW - 2 * H, text="Nieuwe ondergrondse container in Paddepoel, top", label="positive")
        afval = next(t for t in theme_stats(conn, CONFIG.themes, now=NOW, min_sample=5)["themes"] if t["name"] == "afval")
    assert (afval["posts"], afval["stories"], afval["negative"], afval["positive"]) == (4, 2, 3, 1)
    assert afval["net_sentiment"] == 0.0 and afval["sample"] == 2
    assert afval["low_sample"] is True and afval["margin"] is not None


def test_small_samples_carry_a_wilson_margin():
    assert net_interval(0, 0, 0) is None
    low, high = net_interval(3, 0, 0)
    assert high == 100.0 and -20 < low < 0  # three positive posts are no proof of +100
    narrow = net_interval(600, 300, 100)
    wide = net_interval(6, 3, 1)
    assert narrow[0] < 50 < narrow[1] and wide[0] < narrow[0] and wide[1] > narrow[1]
    assert narrow[1] - narrow[0] < 11  # ±5.4 points at 1000 stories

from datetime import timedelta

from analytics_data import NOW, add_post, prepare

from core.analytics.authors import opinion_makers, pseudonym
from core.store.filters import PostFilter

H = timedelta(hours=1)


def _fill(conn):
    prepare(conn)
    # a public account: the municipality
    for i, label in enumerate(("neutral", "positive", "positive")):
        add_post(conn, "mastodon", at=NOW - (i + 1) * H, text=f"Gemeente Groningen informeert {i}", label=label,
                 author="Gemeente Groningen", author_id="gemeentegroningen", author_public=True,
                 author_reach=12000, likes=10, reposts=5, replies=1)
    # a private resident with a viral post: only the pseudonymised id is stored for private people
    add_post(conn, "mastodon", at=NOW - 2 * H, text="Mijn straat ligt vol afval", label="negative",
             author="Jan Jansen", author_id="p-7f3a9c", author_public=False, author_reach=300,
             likes=900, reposts=400, replies=120)
    add_post(conn, "reddit", at=NOW - 3 * H, text="Klopt, bij ons ook", label="negative",
             author="Jan Jansen", author_id="p-7f3a9c", author_public=False, author_reach=None, likes=3)
    # a journalist, public, little engagement
    add_post(conn, "mastodon", at=NOW - 4 * H, text="Vanavond raadsvergadering", author="Sanne de Vries",
             author_id="sannedevries", author_public=True, author_reach=800)
    # outside the window
    add_post(conn, "mastodon", at=NOW - 10 * 24 * H, text="Oud bericht", author="Sanne de Vries",
             author_id="sannedevries", author_public=True, author_reach=5000, likes=5000)
    # no author at all (a news feed item)
    add_post(conn, "rtvnoord", at=NOW - 1 * H, text="Nieuwsbericht zonder auteur")


def test_opinion_makers_ranked_with_sentiment_and_privacy(engine):
    with engine.begin() as conn:
        _fill(conn)
        result = opinion_makers(conn, now=NOW)
    names = [item["name"] for item in result["items"]]
    resident = pseudonym("p-7f3a9c")
    # the response ranks, not the followers: the resident's shared post beats the municipality's 12,000
    assert names == [resident, "Gemeente Groningen", "Sanne de Vries"]
    private, municipality, journalist = result["items"]
    assert (municipality["posts"], municipality["reach"], municipality["engagement"]) == (3, 12000, 48)
    assert municipality["impact"] == 48 and municipality["engagement_rate"] == round(100 * 16 / 12000, 2)
    assert (municipality["positive"], municipality["neutral"], municipality["net_sentiment"]) == (2, 1, 66.7)
    assert municipality["key"] == "gemeentegroningen" and municipality["public"] is True
    assert (private["posts"], private["reach"], private["engagement"], private["negative"]) == (2, 300, 1423, 2)
    assert private["key"] is None and private["public"] is False
    assert "Jan" not in repr(result) and "p-7f3a9c" not in repr(result)
    assert private["impact"] == 1423
    assert journalist["unscored"] == 1 and journalist["impact"] == 0 and journalist["reach"] == 800


def test_opinion_makers_sorting_and_filters(engine):
    with engine.begin() as conn:
        _fill(conn)
        by_engagement = opinion_makers(conn, sort="engagement", now=NOW)
        public_only = opinion_makers(conn, now=NOW, include_private=False)
        forum = opinion_makers(conn, PostFilter(channel="forum"), now=NOW)
        month = opinion_makers(conn, window=timedelta(days=30), now=NOW, sort="reach", limit=1)
    assert by_engagement["items"][0]["name"] == pseudonym("p-7f3a9c")
    assert [i["name"] for i in public_only["items"]] == ["Gemeente Groningen", "Sanne de Vries"]
    assert [(i["name"], i["posts"]) for i in forum["items"]] == [(pseudonym("p-7f3a9c"), 1)]
    assert [(i["name"], i["reach"], i["posts"]) for i in month["items"]] == [("Gemeente Groningen", 12000, 3)]


def test_a_big_account_without_response_does_not_outrank_a_shared_resident(engine):
    with engine.begin() as conn:
        prepare(conn)
        add_post(conn, "mastodon", at=NOW - H, text="Persbericht: de gemeente Groningen opent een loket", label="neutral",
                 author="Groot Account", author_id="grootaccount", author_public=True, author_reach=250_000)
        add_post(conn, "mastodon", at=NOW - 2 * H, text="Kijk hoe de Vismarkt in Groningen er nu bij ligt", label="negative",
                 author="Inwoner", author_id="p-1", author_reach=180, reposts=1400, likes=300)
        result = opinion_makers(conn, now=NOW)
    assert [i["impact"] for i in result["items"]] == [1700, 0]
    assert result["items"][0]["name"] == pseudonym("p-1")


def test_a_story_counts_once_for_its_author(engine):
    release = "De gemeente Groningen sluit de Herestraat maandag af voor werkzaamheden aan de riolering daar"
    with engine.begin() as conn:
        prepare(conn)
        # the outlet carries its own story twice (site and social account): one story, its best response
        add_post(conn, "rtvnoord", at=NOW - 2 * H, text=release, label="negative", author="RTV Noord",
                 author_id="rtvnoord", author_public=True, likes=10)
        add_post(conn, "mastodon", at=NOW - H, text=release, label="negative", author="RTV Noord",
                 author_id="rtvnoord", author_public=True, author_reach=5000, likes=40)
        outlet = opinion_makers(conn, now=NOW)["items"][0]
    assert (outlet["posts"], outlet["stories"], outlet["engagement"], outlet["negative"]) == (2, 1, 40, 1)


def test_public_accounts_on_several_platforms_are_one_row_by_their_aliases(engine):
    from core.config.watch import parse_config

    config = parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "privacy": {"public_roles": ["gemeentegroningen", {"name": "De Stadsflaneur",
                                                           "aliases": ["stadsflaneur", "@stadsflaneur@mastodon.social"]}]},
    })
    assert config.privacy.public_names == ["gemeentegroningen", "De Stadsflaneur", "stadsflaneur", "@stadsflaneur@mastodon.social"]
    with engine.begin() as conn:
        prepare(conn)
        add_post(conn, "mastodon", at=NOW - H, text="Mooie ochtend op de Grote Markt in Groningen", label="positive",
                 author="De Stadsflaneur", author_id="@stadsflaneur@mastodon.social", author_public=True,
                 author_reach=900, likes=30)
        add_post(conn, "reddit", at=NOW - 2 * H, text="Wandeling langs het Reitdiep in Stad", label="positive",
                 author="stadsflaneur", author_id="stadsflaneur", author_public=True, likes=12)
        merged = opinion_makers(conn, now=NOW, aliases=config.privacy.aliases)["items"]
        apart = opinion_makers(conn, now=NOW)["items"]
    assert len(apart) == 2
    assert [(i["name"], i["posts"], i["stories"], i["engagement"], i["reach"]) for i in merged] == \
        [("De Stadsflaneur", 2, 2, 42, 900)]
    assert merged[0]["channels"] == ["forum", "social"] and len(merged[0]["keys"]) == 2

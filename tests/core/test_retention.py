from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.retention import apply_retention, archived_label_counts
from core.store.schema import alerts, newsletters, posts, scores
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen"]},
    "sources": [
        {"name": "oogtv", "kind": "feed", "url": "https://oogtv.example/feed", "local": True},
        {"name": "stadforum", "kind": "discourse", "url": "https://forum.example"},
    ],
    "privacy": {"retention": {"news": "365d", "forum": "30d", "social": "30d"}},
})


def _fill(conn):
    sync_sources(conn, CONFIG)
    news, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
    ids = {}
    for n, (source, age_days, label) in enumerate([
        (news, 400, "negative"), (news, 10, "positive"),
        (forum, 45, "negative"), (forum, 45, "negative"), (forum, 31, None), (forum, 5, "neutral"),
    ]):
        _, post_id = ingest_post(conn, source, {
            "external_id": f"p{n}", "title": f"Bericht {n}", "text": f"Tekst {n}",
            "published_at": NOW - timedelta(days=age_days),
        })
        if label:
            conn.execute(insert(scores).values(post_id=post_id, label=label, negative=0.3, neutral=0.3, positive=0.4,
                                               model="t", model_version="1"))
        ids[n] = post_id
    return ids


def test_expired_posts_disappear_and_aggregates_add_up(engine):
    with engine.begin() as conn:
        ids = _fill(conn)
        conn.execute(insert(alerts).values(kind="theme", key="afval", title="Afval", post_ids=[ids[2], ids[5]]))
        conn.execute(insert(newsletters).values(week="2025-W40", subject="oud", html="", text="",
                                                built_at=NOW - timedelta(days=400)))
        conn.execute(insert(newsletters).values(week="2026-W46", subject="nieuw", html="", text="",
                                                built_at=NOW - timedelta(days=6)))
        deleted = apply_retention(conn, CONFIG, NOW)
    assert deleted == {"news": 1, "forum": 3, "social": 0}
    with engine.connect() as conn:
        left = set(conn.execute(select(posts.c.id)).scalars())
        assert left == {ids[1], ids[5]}
        assert conn.execute(select(alerts.c.post_ids)).scalar() == [ids[5]]
        assert list(conn.execute(select(newsletters.c.week)).scalars()) == ["2026-W46"]
        archived = archived_label_counts(conn, NOW - timedelta(days=500), NOW)
        live = conn.execute(select(func.count()).select_from(posts)).scalar()
    assert archived == {"negative": 3, "neutral": 0, "positive": 0, "unscored": 1}
    assert sum(archived.values()) + live == 6


def test_retention_is_idempotent(engine):
    with engine.begin() as conn:
        _fill(conn)
        apply_retention(conn, CONFIG, NOW)
        assert apply_retention(conn, CONFIG, NOW) == {"news": 0, "forum": 0, "social": 0}
        forum_archive = archived_label_counts(conn, NOW - timedelta(days=500), NOW, channel="forum")
    assert sum(forum_archive.values()) == 3


def test_summary_counts_posts_deleted_by_retention(engine):
    from core.analytics.summary import summary
    from core.store.filters import PostFilter

    window = PostFilter(since=NOW - timedelta(days=100), until=NOW)
    with engine.begin() as conn:
        _fill(conn)
        before = summary(conn, window, now=NOW)
        apply_retention(conn, CONFIG, NOW)
        after = summary(conn, window, now=NOW)
        forum_after = summary(conn, window.replace(channel="forum"), now=NOW)
        themed = summary(conn, window.replace(q="Tekst"), now=NOW)
    assert before["posts"] == after["posts"] == 5
    assert {k: after[k] for k in ("negative", "neutral", "positive", "unscored")} == \
           {k: before[k] for k in ("negative", "neutral", "positive", "unscored")}
    assert forum_after["posts"] == 4
    assert themed["posts"] == 2  # a text search can only see the posts that are still there


def test_stories_and_their_fingerprints_go_with_their_last_post(engine):
    """An untitled social post's first words live on as its story's title: retention must take them too."""
    from core.store.schema import stories, story_keys
    from core.store.stories import fingerprints

    text = ("Jan de Vries van de Kerkstraat 12 klaagt al weken over de kliko's die niet geleegd worden in de straat "
            "en de buren zijn het er allemaal mee eens dat de gemeente nu eindelijk eens iets moet doen")
    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        forum = get_source(conn, "stadforum")
        _, old = ingest_post(conn, forum, {"external_id": "old", "text": text,
                                           "published_at": NOW - timedelta(days=40)})
        # The same story, a repost that stays: the story is rewritten from it, not kept as it was.
        _, copy = ingest_post(conn, forum, {"external_id": "copy", "text": "RT " + text + " ook bij ons",
                                            "published_at": NOW - timedelta(days=39, hours=23)})
        _, alone = ingest_post(conn, forum, {"external_id": "alone", "text": "Piet Jansen, Vismarkt 3, belde boos",
                                             "published_at": NOW - timedelta(days=45)})
        kept_story, old_story, alone_story = (conn.execute(select(posts.c.story_id).where(posts.c.id == i)).scalar()
                                              for i in (copy, old, alone))
        assert kept_story == old_story
        conn.execute(posts.update().where(posts.c.id == copy).values(published_at=NOW - timedelta(days=1)))
        apply_retention(conn, CONFIG, NOW)
    with engine.connect() as conn:
        titles = {row.id: row for row in conn.execute(select(stories))}
        keys = set(conn.execute(select(story_keys.c.key, story_keys.c.story_id)).all())
        copy_row = conn.execute(select(posts).where(posts.c.id == copy)).one()
    assert alone_story not in titles  # its only post is gone: the story and its keys too
    assert all(story_id != alone_story for _, story_id in keys)
    story = titles[kept_story]
    assert story.posts == 1 and story.first_post_id == copy
    assert story.title.startswith("RT Jan de Vries") and story.first_seen == NOW - timedelta(days=1)
    # Only the remaining post's fingerprints point to the story.
    assert {key for key, story_id in keys if story_id == kept_story} == set(
        fingerprints(copy_row.title, copy_row.text, copy_row.content_hash))


def test_fingerprints_of_stories_past_the_grouping_window_are_pruned(engine):
    """A story whose newest post is older than KEYS_KEPT takes no new post: retention drops its
    fingerprints (some twenty per post) and keeps the story and its posts while their retention runs."""
    from core.store.schema import stories, story_keys
    from core.store.stories import KEYS_KEPT

    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        news = get_source(conn, "oogtv")
        ids = {age: ingest_post(conn, news, {"external_id": f"k{age}", "title": f"Brand in de binnenstad, dag {age}",
                                             "text": f"Een grote brand in de binnenstad van Groningen op dag {age}.",
                                             "published_at": NOW - timedelta(days=age)})[1]
               for age in (1, KEYS_KEPT.days + 1)}
        story_of = {age: conn.execute(select(posts.c.story_id).where(posts.c.id == i)).scalar() for age, i in ids.items()}
        apply_retention(conn, CONFIG, NOW)
        keys = dict(conn.execute(select(story_keys.c.story_id, func.count()).group_by(story_keys.c.story_id)).all())
        assert keys.get(story_of[1], 0) > 0 and story_of[KEYS_KEPT.days + 1] not in keys
        assert conn.execute(select(func.count()).select_from(stories)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 2


def test_old_crawl_runs_go_but_each_sources_newest_and_newest_good_run_stay(engine):
    from sqlalchemy import update

    from core.store.schema import crawl_runs
    from core.store.sources import RunCounts, finish_run, start_run

    with engine.begin() as conn:
        sync_sources(conn, CONFIG)
        news, forum = get_source(conn, "oogtv"), get_source(conn, "stadforum")
        runs = {}
        for name, source, failed in [("news_ok", news, False), ("news_failed", news, True),
                                     ("forum_old", forum, False), ("forum_ok", forum, False)]:
            runs[name] = start_run(conn, source.id)
            finish_run(conn, runs[name], RunCounts(), failed=failed, error="boom" if failed else None)
        # All four started two years ago: past the audit retention (365 days by default).
        conn.execute(update(crawl_runs).values(started_at=NOW - timedelta(days=730)))
        apply_retention(conn, CONFIG, NOW)
        kept = set(conn.execute(select(crawl_runs.c.id)).scalars())
    assert kept == {runs["news_ok"], runs["news_failed"], runs["forum_ok"]}

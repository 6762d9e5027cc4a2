"""The scoring worker on a real store (SQLite and PostgreSQL), with a tiny model built in the test;
scores of an older model version made anew in the background (the scheduler's ScoringJob too)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store import scores as store
from core.store.schema import posts, scores
from core.store.sources import get_source, sync_sources
from newsroom.jobs import ScoringJob
from sentiment.scoring import load_scorer
from sentiment.worker import rescore, rescore_stale, score_pending

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DUTCH = [
    "Kliko al drie weken niet geleegd in Selwerd, belachelijk",
    "Mooi initiatief van de gemeente op de Grote Markt",
    "De gemeenteraad vergadert donderdag over het nieuwe parkeerbeleid",
    "Wat een drukte bij het station vanochtend",
    "Fijne avond gehad in de Oosterpoort",
]
ENGLISH = "Great day in Groningen today, the market was lovely"


@pytest.fixture
def filled(engine):
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "sources": [{"name": "stadforum", "kind": "discourse", "url": "https://forum.example.nl", "local": True}]})
    with engine.begin() as conn:
        sync_sources(conn, config)
        source = get_source(conn, "stadforum")
        ids = [ingest_post(conn, source, {"external_id": f"p{n}", "title": None, "text": text,
                                        "published_at": T0 - timedelta(minutes=n)})[1]
               for n, text in enumerate(DUTCH + [ENGLISH])]
    return engine, ids


@pytest.fixture
def scorer(tiny_classifier_dir):
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    return load_scorer(Settings(model=str(path)), quantized=False)


def _scores(engine):
    with engine.connect() as conn:
        return {r.post_id: r for r in conn.execute(select(scores))}


def test_scores_dutch_posts_and_sets_other_languages_aside(filled, scorer):
    engine, ids = filled
    assert score_pending(engine, scorer, batch_size=2) == len(DUTCH)
    saved = _scores(engine)
    assert set(saved) == set(ids[:-1])
    row = saved[ids[0]]
    assert row.model == scorer.model_id and row.model_version == scorer.model_version and row.lang == "nl"
    assert row.negative + row.neutral + row.positive == pytest.approx(1.0, abs=1e-4)
    with engine.connect() as conn:
        assert conn.execute(select(posts.c.lang).where(posts.c.id == ids[-1])).scalar() == "en"
        assert store.count_unscored(conn) == 0  # the English post is not fetched again
    assert score_pending(engine, scorer) == 0


def test_a_killed_scorer_resumes_without_scoring_twice(filled, scorer):
    engine, ids = filled
    assert score_pending(engine, scorer, batch_size=2, limit=3) == 3  # "killed" after three
    first = _scores(engine)
    handled = []
    assert score_pending(engine, scorer, batch_size=2, progress=handled.append) == len(DUTCH) - 3
    after = _scores(engine)
    assert set(after) == set(ids[:-1])
    assert all(after[i].scored_at == first[i].scored_at for i in first)  # the first three untouched
    assert sum(handled) == len(DUTCH) - 3 + 1  # the English post was handled, not scored


def test_other_languages_scored_with_a_flag_by_setting(filled, tiny_classifier_dir):
    engine, ids = filled
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    scorer = load_scorer(Settings(model=str(path), score_other_languages=True), quantized=False)
    assert score_pending(engine, scorer) == len(DUTCH) + 1
    english = _scores(engine)[ids[-1]]
    assert english.lang == "en" and "other_language" in english.flags


def test_rescore_after_a_model_change(filled, scorer):
    engine, ids = filled
    score_pending(engine, scorer)
    assert rescore(engine, scorer) == 0  # same model version: nothing to redo
    scorer.model_version = "newer"
    assert rescore(engine, scorer) == len(DUTCH)
    assert score_pending(engine, scorer) == len(DUTCH)
    assert {r.model_version for r in _scores(engine).values()} == {"newer"}
    assert rescore(engine, scorer, everything=True) == len(DUTCH)


def test_save_scores_is_an_upsert(filled):
    engine, ids = filled
    row = {"post_id": ids[0], "label": "negative", "negative": 0.8, "neutral": 0.1, "positive": 0.1,
           "model": "m", "model_version": "1", "lang": "nl", "flags": []}
    with engine.begin() as conn:
        store.save_scores(conn, [row])
        store.save_scores(conn, [{**row, "label": "positive", "negative": 0.1, "positive": 0.8}])
    saved = _scores(engine)
    assert len(saved) == 1 and saved[ids[0]].label == "positive"
    with pytest.raises(ValueError, match="label"):
        with engine.begin() as conn:
            store.save_scores(conn, [{**row, "label": "boos"}])


def test_the_platforms_language_tag_is_a_hint_not_the_answer(engine, scorer):
    """A Dutch toot its app tagged `en` is scored; English tagged `nl` is set aside; where the text is
    too short to tell, the tag decides."""
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]},
                           "sources": [{"name": "toots", "kind": "mastodon", "url": "https://mastodon.example", "local": True}]})
    texts = {"dutch_tagged_en": (DUTCH[0], "en"), "english_tagged_nl": (ENGLISH, "nl"), "short_tagged_en": ("ok 👍", "en"),
             "short_untagged": ("ok 👍", None)}
    with engine.begin() as conn:
        sync_sources(conn, config)
        source = get_source(conn, "toots")
        ids = {key: ingest_post(conn, source, {"external_id": key, "title": None, "text": text, "lang": lang,
                                               "author_id": key, "published_at": T0})[1]
               for key, (text, lang) in texts.items()}
        assert store.count_unscored(conn) == 4  # a tag alone keeps nothing out of the queue
    assert score_pending(engine, scorer) == 2
    saved = _scores(engine)
    assert set(saved) == {ids["dutch_tagged_en"], ids["short_untagged"]}
    with engine.connect() as conn:
        langs = dict(conn.execute(select(posts.c.id, posts.c.lang).where(posts.c.lang_checked.is_(True))).all())
        assert store.count_unscored(conn) == 0
    assert langs == {ids["dutch_tagged_en"]: "nl", ids["english_tagged_nl"]: "en", ids["short_tagged_en"]: "en",
                     ids["short_untagged"]: None}


def _stale(engine, scorer) -> int:
    with engine.connect() as conn:
        return store.count_stale(conn, scorer.model_id, scorer.model_version)


def test_scores_of_an_older_version_are_made_anew_newest_first_keeping_corrections(filled, scorer):
    engine, ids = filled
    score_pending(engine, scorer)
    model_labels = {i: r.model_label for i, r in _scores(engine).items()}
    corrected = next(label for label in ("negative", "neutral", "positive") if label != model_labels[ids[0]])
    with engine.begin() as conn:
        store.add_correction(conn, ids[0], corrected, by="webcare")
    assert rescore_stale(engine, scorer) == 0 and _stale(engine, scorer) == 0, "nothing stale yet"
    scorer.model_version = "newer"
    assert _stale(engine, scorer) == len(DUTCH)
    assert rescore_stale(engine, scorer, batch_size=2, limit=2) == 2
    saved = _scores(engine)
    newest = sorted(ids[:-1], reverse=True)[:2]
    assert {i for i, r in saved.items() if r.model_version == "newer"} == set(newest), "the newest posts first"
    assert _stale(engine, scorer) == len(DUTCH) - 2
    assert rescore_stale(engine, scorer, batch_size=2) == len(DUTCH) - 2
    assert rescore_stale(engine, scorer) == 0 and _stale(engine, scorer) == 0
    saved = _scores(engine)
    assert set(saved) == set(ids[:-1]) and {r.model_version for r in saved.values()} == {"newer"}
    assert saved[ids[0]].label == corrected, "the correction stays the post's label"
    assert saved[ids[0]].model_label == model_labels[ids[0]], "model_label is the (new) model's"
    with engine.connect() as conn:
        assert store.count_unscored(conn) == 0


def test_a_rescored_post_the_language_check_now_sets_aside_loses_its_score(filled, tiny_classifier_dir, scorer):
    engine, ids = filled
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    everything = load_scorer(Settings(model=str(path), score_other_languages=True), quantized=False)
    everything.model_version = "older"
    assert score_pending(engine, everything) == len(DUTCH) + 1
    assert rescore_stale(engine, scorer) == len(DUTCH) + 1
    saved = _scores(engine)
    assert set(saved) == set(ids[:-1]), "the English post's score went, as a fresh scoring would leave it"
    assert _stale(engine, scorer) == 0
    with engine.connect() as conn:
        assert store.count_unscored(conn) == 0, "and it is not waiting to be scored either"


def test_the_scoring_job_rescores_after_the_new_posts(filled, tiny_classifier_dir):
    engine, ids = filled
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    job = ScoringJob(Settings(model=str(path), quantize=False), engine)
    job.rescore_batch = 2
    older = {"label": "neutral", "negative": 0.2, "neutral": 0.6, "positive": 0.2, "model": "oud-model",
             "model_version": "1", "lang": "nl", "flags": []}
    with engine.begin() as conn:  # three posts scored before this model, two waiting for a score
        store.save_scores(conn, [{**older, "post_id": i} for i in ids[:3]])
    assert job() == 2, "the new posts"
    with engine.connect() as conn:
        health = store.scoring_health(conn)
    assert (health["model"], health["version"]) == (job.scorer.model_id, job.scorer.model_version)
    assert health["stale"] == 0, "then the older scores, within the same run"
    assert {r.model for r in _scores(engine).values()} == {job.scorer.model_id}
    # Another worker started since, with a newer model: this one (the previous model) leaves its scores be.
    with engine.begin() as conn:
        store.record_scorer(conn, job.scorer.model_id, "nieuwer")
        store.save_scores(conn, [{**older, "post_id": ids[0], "model": job.scorer.model_id,
                                  "model_version": "nieuwer"}])
    assert job() == 0 and job.rescore() == 0
    assert _scores(engine)[ids[0]].model_version == "nieuwer"

"""The scoring worker: score every pending post, batch by batch, one transaction per batch.

Used by the scheduler (every few seconds: new posts are scored within seconds of arriving), by the
task workers and by `newsroom score`. Each batch is claimed (locked) while it is scored, so several
workers on PostgreSQL score disjoint batches; crawlers keep writing meanwhile. A killed worker's
batch is free again at once, and nothing is scored twice.

Scores an older model (version) made are made anew by rescore_stale, in small batches, after the new
posts (newsroom.jobs.ScoringJob): a person's correction stays the post's label, the model's label is
the new model's. A post the language check now sets aside loses its score, as with `score --rescore`.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy import Connection, Engine

from core.store import scores as store
from sentiment.scoring import Scorer, post_text

log = logging.getLogger(__name__)
_running = threading.Lock()  # the scheduler's job and a manual run in one process must not overlap


def _score_rows(conn: Connection, scorer: Scorer, rows: list) -> tuple[int, list[int]]:
    """Score posts (rows of id, title, text, lang) and save their scores and detected languages;
    returns (how many got a score, the ids the language check set aside)."""
    results = scorer.score([post_text(r.title, r.text) for r in rows], hints=[r.lang for r in rows])
    to_save, aside = [], []
    for row, result in zip(rows, results):
        if result.label is None:
            aside.append(row.id)
            continue
        to_save.append({
            "post_id": row.id, "label": result.label, **result.probabilities,
            "model": scorer.model_id, "model_version": scorer.model_version,
            "lang": result.lang, "flags": result.flags,
        })
    # Every post's language is recorded as detected, Dutch too: the platform's tag was a hint.
    store.set_languages(conn, {row.id: result.lang for row, result in zip(rows, results)})
    store.save_scores(conn, to_save)
    return len(to_save), aside


def score_pending(engine: Engine, scorer: Scorer, *, batch_size: int = 64, limit: int | None = None,
                  progress: Callable[[int], None] | None = None) -> int:
    """Score unscored posts (up to `limit`); returns how many got a score. `progress(n)` is called
    after each batch with the number of posts handled in it (scored or set aside as another language)."""
    with _running:
        include_other = scorer.score_other_languages
        scored, after_id = 0, 0
        while limit is None or scored < limit:
            size = batch_size if limit is None else min(batch_size, limit - scored)
            # The batch stays claimed while it is scored: other workers pass over it, and if this
            # process dies its connection drops and the batch is free again.
            with engine.begin() as conn:
                rows = store.unscored_posts(conn, limit=size, after_id=after_id,
                                            include_other_languages=include_other, claim=True)
                if not rows:
                    break
                after_id = rows[-1].id
                saved, _ = _score_rows(conn, scorer, rows)
            scored += saved
            if progress:
                progress(len(rows))
        if scored:
            log.info("scored %d posts with %s %s", scored, scorer.model_id, scorer.model_version)
        return scored


def rescore_stale(engine: Engine, scorer: Scorer, *, batch_size: int = 16, limit: int | None = None) -> int:
    """Score anew, newest first, posts whose score another model or version made (up to `limit`);
    returns how many were handled. Claimed like score_pending's batches; every post handled leaves
    the stale ones (a new score, or none when the language check now sets it aside)."""
    with _running:
        handled = 0
        while limit is None or handled < limit:
            size = batch_size if limit is None else min(batch_size, limit - handled)
            with engine.begin() as conn:
                rows = store.stale_posts(conn, scorer.model_id, scorer.model_version, limit=size, claim=True)
                if not rows:
                    break
                _, aside = _score_rows(conn, scorer, rows)
                store.drop_scores_of(conn, aside)
            handled += len(rows)
        if handled:
            log.info("rescored %d posts with %s %s", handled, scorer.model_id, scorer.model_version)
        return handled


def rescore(engine: Engine, scorer: Scorer, *, everything: bool = False) -> int:
    """Drop scores made by other model versions (or all scores) so score_pending makes them anew."""
    with engine.begin() as conn:
        if everything:
            return store.delete_scores(conn)
        return store.delete_scores(conn, keep_model=scorer.model_id, keep_version=scorer.model_version)

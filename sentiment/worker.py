"""The scoring worker: score every pending post, batch by batch, one transaction per batch.

Used by the scheduler (every few seconds: new posts are scored within seconds of arriving), by the
task workers and by `newsroom score`. Each batch is claimed (locked) while it is scored, so several
workers on PostgreSQL score disjoint batches; crawlers keep writing meanwhile. A killed worker's
batch is free again at once, and nothing is scored twice.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy import Engine

from core.store import scores as store
from sentiment.scoring import Scorer, post_text

log = logging.getLogger(__name__)
_running = threading.Lock()  # the scheduler's job and a manual run in one process must not overlap


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
                results = scorer.score([post_text(r.title, r.text) for r in rows], hints=[r.lang for r in rows])
                to_save = []
                # Every post's language is recorded as detected, Dutch too: the platform's tag was a hint.
                languages = {row.id: result.lang for row, result in zip(rows, results)}
                for row, result in zip(rows, results):
                    if result.label is None:
                        continue
                    to_save.append({
                        "post_id": row.id, "label": result.label, **result.probabilities,
                        "model": scorer.model_id, "model_version": scorer.model_version,
                        "lang": result.lang, "flags": result.flags,
                    })
                store.set_languages(conn, languages)
                store.save_scores(conn, to_save)
            scored += len(to_save)
            if progress:
                progress(len(rows))
        if scored:
            log.info("scored %d posts with %s %s", scored, scorer.model_id, scorer.model_version)
        return scored


def rescore(engine: Engine, scorer: Scorer, *, everything: bool = False) -> int:
    """Drop scores made by other model versions (or all scores) so score_pending makes them anew."""
    with engine.begin() as conn:
        if everything:
            return store.delete_scores(conn)
        return store.delete_scores(conn, keep_model=scorer.model_id, keep_version=scorer.model_version)

"""Sentiment scores and label corrections in the store.

What is "unscored": a post without a scores row whose language the scorer has not detected yet, or
detected as Dutch. The scorer detects every post's language (a platform's tag, e.g. Mastodon's, is
only a hint: apps tag by the phone's setting) and records it on the post (posts.lang, with
posts.lang_checked). A post in another language gets no score while other languages are not scored:
it is no longer fetched, is counted apart ("in andere talen", core.analytics.summary), and comes back
automatically when NEWSROOM_SCORE_OTHER_LANGUAGES is switched on.

Saving is an upsert per post, one transaction per batch: a killed scorer loses at most the batch in
hand and resumes where it stopped; nothing is scored twice or skipped.

A score made by another model (version) than the one scoring now is "stale": the scorer makes it anew
in the background (sentiment.worker.rescore_stale), found through the index on (model_version, model,
post_id) in steps as small as the batch, however many posts there are. The scorer at work names itself
in meta (SCORER_KEY), so the web processes, which load no model, can count what is stale.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, update

from core.store.batch import insert_rows
from core.store.meta import get_meta, set_meta
from core.store.schema import label_corrections, posts, scores, utcnow
from core.vocabulary import LABELS

SCORER_KEY = "scorer"

DUTCH = "nl"  # nl, nl-NL, nl-BE, nl_be: Dutch and Flemish


def _dutch_or_unknown():
    return or_(posts.c.lang.is_(None), posts.c.lang == "", func.lower(posts.c.lang).like(DUTCH + "%"))


def other_language() -> ColumnElement[bool]:
    """A post detected in another language than Dutch (it has a score only when those are scored)."""
    return and_(posts.c.lang_checked.is_(True), posts.c.lang.is_not(None), posts.c.lang != "",
                func.lower(posts.c.lang).not_like(DUTCH + "%"))


def _unscored_where(include_other_languages: bool) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = scores.c.post_id.is_(None)
    if not include_other_languages:
        condition = and_(condition, or_(posts.c.lang_checked.is_(False), _dutch_or_unknown()))
    return condition


def unscored_posts(conn: Connection, *, limit: int = 64, after_id: int = 0,
                   include_other_languages: bool = False, claim: bool = False) -> list:
    """Rows (id, title, text, lang) of posts to score, oldest id first, from `after_id` on.

    `claim`: lock the rows until this transaction ends, passing over rows another worker holds
    (PostgreSQL's SKIP LOCKED; SQLite has one writer anyway), so workers score disjoint batches and
    a killed worker's batch is free again the moment its connection drops."""
    query = (
        select(posts.c.id, posts.c.title, posts.c.text, posts.c.lang)
        .select_from(posts.outerjoin(scores, scores.c.post_id == posts.c.id))
        .where(_unscored_where(include_other_languages), posts.c.id > after_id)
        .order_by(posts.c.id)
        .limit(limit)
    )
    if claim:
        query = query.with_for_update(skip_locked=True, of=posts)
    return list(conn.execute(query))


def count_unscored(conn: Connection, *, include_other_languages: bool = False) -> int:
    query = (
        select(func.count())
        .select_from(posts.outerjoin(scores, scores.c.post_id == posts.c.id))
        .where(_unscored_where(include_other_languages))
    )
    return conn.execute(query).scalar_one()


def save_scores(conn: Connection, rows: Iterable[dict]) -> int:
    """Upsert scores: dicts with post_id, label, negative, neutral, positive, model, model_version,
    lang, flags. Saving the same post again replaces its score; `label` is the model's (kept as
    model_label) and becomes the effective label unless a person corrected the post."""
    rows = [dict(row) for row in rows]
    for row in rows:
        if row["label"] not in LABELS:
            raise ValueError(f"post {row['post_id']}: label {row['label']!r} is not one of {LABELS}")
        row.setdefault("flags", [])
        row.setdefault("lang", None)
        row["scored_at"] = utcnow()
        row["model_label"] = row["label"]
    if rows:
        insert_rows(conn, scores, rows, conflict=("post_id",), update=[c for c in rows[0] if c != "post_id"])
        _apply_corrections(conn, [row["post_id"] for row in rows])
    return len(rows)


def _latest_correction():
    """The label of the latest correction of the scores row at hand (a correlated subquery)."""
    return (
        select(label_corrections.c.label)
        .where(label_corrections.c.post_id == scores.c.post_id)
        .order_by(label_corrections.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _apply_corrections(conn: Connection, post_ids: list[int]) -> None:
    """A person's correction outlives rescoring: the effective label stays the latest correction."""
    corrected = select(label_corrections.c.post_id).where(label_corrections.c.post_id == scores.c.post_id).exists()
    conn.execute(update(scores).where(scores.c.post_id.in_(post_ids), corrected).values(label=_latest_correction()))


def set_languages(conn: Connection, langs: dict[int, str | None]) -> None:
    """Record detected languages on posts (this is what keeps non-Dutch posts out of the queue); None:
    detected, no language won, the platform's tag (if any) stays."""
    for post_id, lang in langs.items():
        values: dict[str, Any] = {"lang_checked": True}
        if lang:
            values["lang"] = lang
        conn.execute(update(posts).where(posts.c.id == post_id).values(**values))


# -- scores of an older model ----------------------------------------------------------------------

def _versions(conn: Connection) -> list[tuple[str, str]]:
    """Every (model_version, model) that made scores: one index step each (a loose index scan),
    never a pass over all scores. (A row-value comparison would be one query, but SQLite seeks on
    its first column only and then walks all of that version's scores.)"""
    found: list[tuple[str, str]] = []
    next_version = select(scores.c.model_version).order_by(scores.c.model_version).limit(1)
    version = conn.execute(next_version).scalar()
    while version is not None:
        next_model = (select(scores.c.model).where(scores.c.model_version == version)
                      .order_by(scores.c.model).limit(1))
        model = conn.execute(next_model).scalar()
        while model is not None:
            found.append((version, model))
            model = conn.execute(next_model.where(scores.c.model > model)).scalar()
        version = conn.execute(next_version.where(scores.c.model_version > version)).scalar()
    return found


def stale_posts(conn: Connection, model: str, version: str, *, limit: int = 16, claim: bool = False) -> list:
    """Rows (id, title, text, lang) of posts whose score another model or version made, newest first
    (the oldest may be gone by retention before their turn), one version's at a time.

    `claim`: lock their scores rows until this transaction ends, passing over rows another worker holds
    (as unscored_posts does); a correction of one of them waits for the new score, then applies."""
    for old_version, old_model in _versions(conn):
        if (old_version, old_model) == (version, model):
            continue
        query = (
            select(posts.c.id, posts.c.title, posts.c.text, posts.c.lang)
            .join(scores, scores.c.post_id == posts.c.id)
            .where(scores.c.model_version == old_version, scores.c.model == old_model)
            .order_by(scores.c.post_id.desc())
            .limit(limit)
        )
        if claim:
            query = query.with_for_update(skip_locked=True, of=scores)
        rows = list(conn.execute(query))
        if rows:
            return rows
    return []


def count_stale(conn: Connection, model: str, version: str) -> int:
    """Scores another model or version made: what rescoring still has to do (counted in the index,
    version by version: as cheap as there are such scores, whatever the number of current ones)."""
    return sum(conn.execute(select(func.count()).select_from(scores)
                            .where(scores.c.model_version == old_version, scores.c.model == old_model)).scalar_one()
               for old_version, old_model in _versions(conn) if (old_version, old_model) != (version, model))


def drop_scores_of(conn: Connection, post_ids: list[int]) -> int:
    """Forget these posts' scores (a rescored post the language check now sets aside)."""
    return conn.execute(delete(scores).where(scores.c.post_id.in_(post_ids))).rowcount if post_ids else 0


def record_scorer(conn: Connection, model: str, version: str) -> None:
    """The model (and version) scoring now, for scoring_health; an upsert, as workers start side by side."""
    set_meta(conn, SCORER_KEY, json.dumps({"model": model, "version": version}))


def current_scorer(conn: Connection) -> tuple[str, str] | None:
    """(model, version) of the scorer that started last (record_scorer), or None before any did."""
    value = get_meta(conn, SCORER_KEY)
    if value is None:
        return None
    scorer = json.loads(value)
    return scorer["model"], scorer["version"]


def scoring_health(conn: Connection) -> dict[str, Any] | None:
    """{"model", "version", "stale"}: the model scoring now (the one started last) and how many scores
    another model or version made; None before a scorer ran."""
    current = current_scorer(conn)
    if current is None:
        return None
    return {"model": current[0], "version": current[1], "stale": count_stale(conn, *current)}


def delete_scores(conn: Connection, *, keep_model: str | None = None, keep_version: str | None = None) -> int:
    """Forget scores so they are made again: all of them, or all but those of one model version."""
    query = delete(scores)
    if keep_model is not None:
        query = query.where(or_(scores.c.model != keep_model, scores.c.model_version != (keep_version or "")))
    return conn.execute(query).rowcount


# -- corrections --------------------------------------------------------------------------------

def add_correction(conn: Connection, post_id: int, label: str, *, by: str, note: str | None = None) -> dict:
    """Record that a person says post `post_id` is `label`. Raises LookupError for an unknown post."""
    label = label.strip().lower()
    if label not in LABELS:
        raise ValueError(f"label {label!r} is not one of {LABELS}")
    if conn.execute(select(posts.c.id).where(posts.c.id == post_id)).first() is None:
        raise LookupError(f"post {post_id} does not exist")
    previous = conn.execute(select(scores.c.label).where(scores.c.post_id == post_id)).scalar()
    row = {"post_id": post_id, "label": label, "previous_label": previous, "by": by[:100], "note": note,
           "created_at": utcnow()}
    row["id"] = conn.execute(insert(label_corrections).values(row)).inserted_primary_key[0]
    # From now on every output (wall, summary, timeline, themes, newsletter, API) shows this label.
    conn.execute(update(scores).where(scores.c.post_id == post_id).values(label=label))
    return row


def list_corrections(conn: Connection, *, limit: int | None = 100, offset: int = 0) -> list[dict]:
    """Newest first, with the post's text, as the webcare team sees them."""
    query = (
        select(label_corrections, posts.c.title, posts.c.text, posts.c.url, scores.c.model_label)
        .join(posts, posts.c.id == label_corrections.c.post_id)
        .outerjoin(scores, scores.c.post_id == label_corrections.c.post_id)
        .order_by(label_corrections.c.created_at.desc(), label_corrections.c.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def corrections_for_training(conn: Connection) -> list[dict]:
    """The latest correction per post with the post's title and text: what `newsroom model train` learns."""
    latest = (
        select(label_corrections.c.post_id, func.max(label_corrections.c.id).label("id"))
        .group_by(label_corrections.c.post_id)
        .subquery()
    )
    query = (
        select(label_corrections.c.post_id, label_corrections.c.label, posts.c.title, posts.c.text)
        .join(latest, latest.c.id == label_corrections.c.id)
        .join(posts, posts.c.id == label_corrections.c.post_id)
        .order_by(label_corrections.c.post_id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]

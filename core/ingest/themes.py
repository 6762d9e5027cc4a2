"""Themes: which configured subjects a post is about, tagged at ingest and again when themes change.

A post carries a theme when its title or text matches one of the theme's terms outside the theme's
exclusions (core.matching: case and diacritics folded, a term matches a word's inflections and the
head of a compound, "container" in "afvalcontainers", not its modifier, "station" in "Stationsplein";
a term "A & B|C" only where B or C occurs too).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from sqlalchemy import Connection, delete, func, insert, select

from core.config.watch import Theme
from core.matching import Matcher, Text, matcher
from core.store.meta import get_meta, set_meta
from core.store.schema import post_themes, posts

THEMES_HASH_KEY = "themes_hash"

TAGGED_UPTO_KEY = "themes_tagged_upto"

_BATCH = 2000
# Raised when core.matching's rules change, so stores tagged under the old rules are tagged again.
MATCHING_RULES = 5

def _matchers(themes: Sequence[Theme]) -> list[tuple[str, Matcher]]:
    return [(theme.name, matcher(tuple(theme.terms), tuple(theme.exclude))) for theme in themes]

def themes_for(themes: Sequence[Theme], title: str | None, text: str | None) -> list[str]:
    """Names of the themes whose terms occur in the title or text."""
    folded = Text(f"{title or ''}\n{text or ''}")
    return [name for name, found in _matchers(themes) if found.matches(folded)]

def tag_post(conn: Connection, post_id: int, themes: Sequence[Theme], title: str | None, text: str | None) -> list[str]:
    names = themes_for(themes, title, text)
    if names:
        conn.execute(insert(post_themes), [{"post_id": post_id, "theme": name} for name in names])
    return names

def themes_hash(themes: Sequence[Theme]) -> str:
    """Changes exactly when what tagging reads changes: a theme's name, terms, exclusions or the matcher's
    rules (MATCHING_RULES); page and label don't affect tagging."""
    material = json.dumps([MATCHING_RULES, sorted((t.name, sorted(t.terms), sorted(t.exclude)) for t in themes)],
                          ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()

def retag(conn: Connection, themes: Sequence[Theme]) -> int:
    """Tag every post again with `themes`; returns the number of (post, theme) tags written."""
    newest = conn.execute(select(func.max(posts.c.id))).scalar() or 0
    written = _tag_range(conn, _matchers(themes), 0, newest)
    set_meta(conn, THEMES_HASH_KEY, themes_hash(themes))
    set_meta(conn, TAGGED_UPTO_KEY, str(newest))
    return written

def _tag_range(conn: Connection, matchers, after_id: int, upto_id: int) -> int:
    """(Re)tag the posts with after_id < id <= upto_id, in batches so memory stays flat."""
    conn.execute(delete(post_themes).where(post_themes.c.post_id > after_id, post_themes.c.post_id <= upto_id))
    written = 0
    last_id = after_id
    while matchers:
        rows = conn.execute(
            select(posts.c.id, posts.c.title, posts.c.text)
            .where(posts.c.id > last_id, posts.c.id <= upto_id)
            .order_by(posts.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        tags: list[dict[str, Any]] = []
        for row in rows:
            folded = Text(f"{row.title or ''}\n{row.text or ''}")
            tags.extend({"post_id": row.id, "theme": name} for name, m in matchers if m.matches(folded))
        if tags:
            conn.execute(insert(post_themes), tags)
            written += len(tags)
        last_id = rows[-1].id
    return written

def tag_new_posts(conn: Connection, themes: Sequence[Theme]) -> int:
    """Tag the posts stored since the last call (by id), e.g. by a writer that passed no themes.

    Tags those posts afresh, so a post save_post already tagged is not tagged twice.
    """
    upto = int(get_meta(conn, TAGGED_UPTO_KEY) or 0)
    newest = conn.execute(select(func.max(posts.c.id))).scalar() or 0
    if newest <= upto:
        return 0
    written = _tag_range(conn, _matchers(themes), upto, newest)
    set_meta(conn, TAGGED_UPTO_KEY, str(newest))
    return written

def retag_if_changed(conn: Connection, themes: Sequence[Theme]) -> bool:
    """Retag only when the themes differ from those the store was last tagged with."""
    current = themes_hash(themes)
    stored = get_meta(conn, THEMES_HASH_KEY)
    if stored == current:
        return False
    if stored is None and not conn.execute(select(posts.c.id).limit(1)).first():
        # An empty store: nothing to tag; remember the themes so the first start costs nothing.
        set_meta(conn, THEMES_HASH_KEY, current)
        set_meta(conn, TAGGED_UPTO_KEY, "0")
        return False
    retag(conn, themes)
    return True

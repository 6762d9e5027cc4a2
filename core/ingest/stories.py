"""Stories: posts that carry the same story (syndicated news, reposts, near-identical text) grouped.

Each post gets fingerprints (core.store.stories): its content hash, its canonical URL, its normalised
title, the start of its normalised text, and the LSH bands of a MinHash of its word pairs. A new post
joins the story that already holds one of its exact fingerprints, when that story was seen within
STORY_SPAN. Failing that, the stories that share one of its bands are candidates, and it joins the one
whose text it overlaps most, when that overlap (containment of word pairs: the share of the shorter
text's pairs found in the other) reaches NEAR_DUPLICATE: a lightly rewritten lead, or a repost with a
comment line above it. Otherwise it starts a story. Precision and recall on labelled pairs of real
Dutch feed items: benchmarks/stories_eval.py.

A post from another source with the same canonical URL is amplification: it is stored as a post of its
own (its source, author and engagement count) in the story of the first. The story remembers its first
post (earliest published), so the first source is known, and counts its posts: the amplification.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from core.store.schema import posts, stories, story_keys
from core.store.stories import (
    add_stories,
    fingerprints,
    grow_stories,
    key_owners,
    newest_posts,
    own_keys,
    set_post_stories,
    shingles,
    story_title,
)

# Syndicated copies appear within hours; a reused generic headline weeks later is another story.
STORY_SPAN = timedelta(days=3)
# Share of the shorter text's word pairs the other must hold. On the labelled pairs 0.6 merged two
# announcements in one company's feed template, 0.7 nothing wrong (benchmarks/stories_eval.py).
NEAR_DUPLICATE = 0.7
# Posts of candidate stories read to compare texts with: the newest, enough for any real story.
COMPARE_POSTS = 50


def containment(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / the smaller of |a| and |b|: 1.0 when one text is the other with something added."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


@dataclass
class NewPost:
    """A stored post to be put in its story."""

    post_id: int
    title: str | None
    text: str | None
    content_hash: str
    published_at: datetime
    canonical_url: str | None = None


@dataclass(eq=False)
class _Story:
    id: int | None  # None until a new story is inserted
    order: tuple[int, int]  # stored stories by id, then the batch's new ones as they start (lowest wins)
    first_seen: datetime
    last_seen: datetime
    first_post_id: int | None
    added: int = 0  # posts of the batch it took (a new story: besides its first)
    title: str | None = None  # a new story's
    recent: list[list[Any]] = field(default_factory=list)  # the batch's posts in it: [id, pairs, None]
    in_order: bool = True  # recent by ascending id (a regroup takes posts by time, not by id)

    def in_span(self, at: datetime) -> bool:
        return self.last_seen >= at - STORY_SPAN and self.first_seen <= at + STORY_SPAN


def assign_story(conn: Connection, post_id: int, *, title: str | None, text: str | None, content_hash: str,
                 published_at: datetime, canonical_url: str | None = None) -> int:
    """Put the post in its story (an existing one or a new one); returns the story id."""
    return assign_stories(conn, [NewPost(post_id, title, text, content_hash, published_at, canonical_url)])[0]


def assign_stories(conn: Connection, new_posts: list[NewPost]) -> list[int]:
    """Put each stored post in its story, in order, as if one after the other; returns their story ids."""
    story_ids = group_stories(conn, new_posts)
    set_post_stories(conn, {p.post_id: story_id for p, story_id in zip(new_posts, story_ids)})
    return story_ids


def group_stories(conn: Connection, new_posts: list[NewPost]) -> list[int]:
    """The story of each post, in order, as if one after the other: the stories and their fingerprints
    are written, posts.story_id is not (the ingest path writes it with the post's row, see
    core.store.posts.save_posts).

    The fingerprints of the whole batch are looked up in one query; the batch's own stories and keys
    are kept in memory, so a post joins a story an earlier post of the batch started or grew."""
    if not new_posts:
        return []
    pairs = [shingles(p.title, p.text) for p in new_posts]
    keys = [fingerprints(p.title, p.text, p.content_hash, p.canonical_url, pairs=s) for p, s in zip(new_posts, pairs)]
    stored: dict[int, _Story] = {}
    owner: dict[str, _Story] = {}
    owned = key_owners(conn, (k for ks in keys for k in ks))
    for key, row in owned.items():
        story = stored.get(row.id)
        if story is None:
            # first_post_id None: unchanged, kept as stored unless a post of the batch is older.
            story = stored[row.id] = _Story(row.id, (0, row.id), row.first_seen, row.last_seen, None)
        owner[key] = story
    earliest = min(p.published_at for p in new_posts) - STORY_SPAN
    latest = max(p.published_at for p in new_posts) + STORY_SPAN
    texts = _Texts(conn, {row.id for key, row in owned.items()
                          if key.startswith("m") and row.last_seen >= earliest and row.first_seen <= latest})
    started: list[_Story] = []
    assigned: list[_Story] = []
    touched: dict[str, _Story] = {}
    for p, post_keys, post_pairs in zip(new_posts, keys, pairs):
        at = p.published_at
        exact = [owner[k] for k in post_keys if not k.startswith("m") and k in owner and owner[k].in_span(at)]
        found = min(exact, key=lambda s: s.order) if exact else None
        if found is None:
            candidates = {id(owner[k]): owner[k] for k in post_keys
                          if k.startswith("m") and k in owner and owner[k].in_span(at)}
            if candidates:
                found = texts.nearest(list(candidates.values()), post_pairs)
        if found is None:
            found = _Story(None, (1, len(started)), at, at, p.post_id, title=story_title(p.title, p.text))
            started.append(found)
        else:
            found.added += 1
            found.last_seen = max(found.last_seen, at)
            if at < found.first_seen:
                found.first_post_id, found.first_seen = p.post_id, at
        if found.recent and p.post_id < found.recent[-1][0]:
            found.in_order = False
        found.recent.append([p.post_id, post_pairs, None])
        for key in post_keys:
            owner[key] = touched[key] = found
        assigned.append(found)
    ids = add_stories(conn, [{"first_post_id": s.first_post_id, "title": s.title, "posts": 1 + s.added,
                              "first_seen": s.first_seen, "last_seen": s.last_seen} for s in started])
    for story, story_id in zip(started, ids):
        story.id = story_id
    grow_stories(conn, [{"id": s.id, "added": s.added, "first_post_id": s.first_post_id, "first_seen": s.first_seen,
                         "last_seen": s.last_seen} for s in stored.values() if s.added])
    own_keys(conn, {key: story.id for key, story in touched.items()
                    if key not in owned or owned[key].id != story.id})
    return [s.id for s in assigned]


class _Texts:
    """The word pairs of candidate stories' newest stored posts, read from the store once per batch."""

    def __init__(self, conn: Connection, banded: set[int]):
        self.conn, self.banded = conn, banded  # the stored stories holding a band key of the batch
        self.posts: dict[int, list[list[Any]]] = {}  # story id -> [[post id, pairs or None, row]], newest first

    def nearest(self, candidates: list[_Story], pairs: set[str]) -> _Story | None:
        """The candidate story whose newest COMPARE_POSTS posts (of all candidates together) overlap the
        text most, when that overlap reaches NEAR_DUPLICATE; else None."""
        if any(s.order[0] == 0 and s.id not in self.posts for s in candidates):
            # Every stored story the batch's band keys reached at once, not one story per post.
            wanted = {story_id for story_id in self.banded if story_id not in self.posts}
            wanted |= {s.id for s in candidates if s.order[0] == 0 and s.id not in self.posts}
            for story_id in wanted:
                self.posts[story_id] = []
            for row in newest_posts(self.conn, wanted, COMPARE_POSTS):
                self.posts[row.story_id].append([row.id, None, row])
        # Each candidate's posts newest first (the batch's, then the stored ones), merged: the newest
        # COMPARE_POSTS of all candidates together.
        newest = []
        for story in candidates:
            recent = (story.recent[:-COMPARE_POSTS - 1:-1] if story.in_order
                      else heapq.nlargest(COMPARE_POSTS, story.recent, key=itemgetter(0)))
            stored = self.posts[story.id] if story.order[0] == 0 else []
            if recent and stored and recent[-1][0] < stored[0][0]:  # a regroup takes posts by time, not id
                recent = heapq.nlargest(COMPARE_POSTS, recent + stored, key=itemgetter(0))
                stored = []
            newest.append((story, recent + stored if stored else recent))
        if len(newest) == 1:
            story, entries = newest[0]
            merged: Iterable[tuple[_Story, list[Any]]] = ((story, entry) for entry in entries)
        else:
            merged = ((story, entry) for _, story, entry in heapq.merge(
                *([(entry[0], story, entry) for entry in entries] for story, entries in newest), key=itemgetter(0),
                reverse=True))
        best, best_score = None, NEAR_DUPLICATE
        size = len(pairs)
        for story, entry in islice(merged, COMPARE_POSTS):
            other = entry[1]
            if other is None:
                other = entry[1] = shingles(entry[2].title, entry[2].text)
            # containment(pairs, other), inlined: this loop runs up to COMPARE_POSTS times per post.
            score = len(pairs & other) / min(size, len(other)) if size and other else 0.0
            if score >= best_score:
                if len(newest) == 1:  # one candidate: the first post close enough decides, the rest cannot
                    return story
                best, best_score = story, score
        return best


def regroup(conn: Connection, *, batch: int = 2000) -> int:
    """Group every post again from scratch, oldest first; returns the number of stories."""
    conn.execute(update(posts).values(story_id=None))
    conn.execute(delete(story_keys))
    conn.execute(delete(stories))
    last = None
    while True:
        query = select(posts.c.id, posts.c.title, posts.c.text, posts.c.content_hash, posts.c.canonical_url,
                       posts.c.published_at)
        if last is not None:
            query = query.where(
                (posts.c.published_at > last[0]) | and_(posts.c.published_at == last[0], posts.c.id > last[1])
            )
        rows = conn.execute(query.order_by(posts.c.published_at, posts.c.id).limit(batch)).all()
        if not rows:
            break
        assign_stories(conn, [NewPost(row.id, row.title, row.text, row.content_hash, row.published_at,
                                      row.canonical_url) for row in rows])
        last = (rows[-1].published_at, rows[-1].id)
    return conn.execute(select(func.count()).select_from(stories)).scalar_one()

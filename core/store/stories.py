"""Story records: the fingerprints a post is known by, a story's title, and rewriting stories from the
posts they still hold.

Grouping new posts into stories is core.ingest.stories; this module holds the statements it runs, a
batch of posts at a time (key_owners, newest_posts, add_stories, grow_stories, own_keys,
set_post_stories), the pruning of fingerprints no new post can match any more (prune_story_keys), and
what the store itself needs when posts go (retention, erasure): a story whose last post is gone is
deleted with its fingerprints, and a story that lost some posts is rewritten from what remains (count,
first post, title, fingerprints), so no title or fingerprint of a deleted post stays behind.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from core.matching import fold
from core.store.batch import any_of, chunks, insert_rows, is_postgres, update_rows
from core.store.schema import posts, stories, story_keys

MIN_TITLE_WORDS = 4

# How long a story's fingerprints outlive its newest post: well past the 3 days within which posts are
# grouped (STORY_SPAN), so a late item (a feed's backlog, an import of last week's posts) still finds
# its story; older keys are pruned by retention (prune_story_keys).
KEYS_KEPT = timedelta(days=14)

MIN_TEXT_WORDS = 12

TEXT_WORDS = 30

TITLE_CHARS = 120

# Near-duplicates: word pairs, a 32-value MinHash cut into 16 bands of 2. Rows of 2 find a rewritten lead
# beside its full article (Jaccard 0.3: found 3 times in 4); 8 bands of 4 found only 2 in 5 of the
# labelled leads (benchmarks/stories_eval.py). The candidates are checked on the texts.
SHINGLE = 2
BANDS, ROWS = 16, 2
MIN_SHINGLES = 6

_URL = re.compile(r"https?://\S+|www\.\S+")

_HANDLE = re.compile(r"(?<!\w)@[\w.]+")

_NON_WORD = re.compile(r"[^0-9a-z]+")

# "Brand in de binnenstad - Dagblad van het Noorden": the outlet's suffix differs per syndicating site.
_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")


@lru_cache(maxsize=4096)  # a post's text is read for its fingerprints and its word pairs: folded once
def _words(text: str) -> tuple[str, ...]:
    return tuple(_fold_words(text))


def _fold_words(text: str) -> list[str]:
    text = _HANDLE.sub(" ", _URL.sub(" ", text or ""))
    words = _NON_WORD.sub(" ", fold(text)).split()
    if words[:1] == ["rt"]:  # "RT @iemand: ..." is a repost of the rest
        words = words[1:]
    return words


def _digest(prefix: str, words: Sequence[str]) -> str:
    return prefix + hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:40]


def shingles(title: str | None, text: str | None) -> set[str]:
    """The post's word pairs (title and text, folded, without links and handles): what near-duplicates share."""
    # Without a title the words are the text's: the same cached folding as its fingerprint.
    words = _words(f"{title} {text or ''}" if title else text or "")
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


_signatures = threading.local()


@cache
def _permutations():
    from datasketch import MinHash  # loaded on first use: its import pulls in scipy

    template = MinHash(num_perm=BANDS * ROWS, seed=1)
    # datasketch 2 wants the scheme the permutations belong to; 1.x has one scheme and no argument.
    scheme = {"scheme": template.scheme} if hasattr(template, "scheme") else {}
    return MinHash, {"permutations": template.permutations, **scheme}


def _minhash():
    """An empty MinHash(num_perm=BANDS * ROWS, seed=1): one per thread, cleared for each text, so its
    permutations are drawn once per process and parsed once per thread, not per post."""
    signature = getattr(_signatures, "minhash", None)
    if signature is None:
        minhash, given = _permutations()
        signature = _signatures.minhash = minhash(num_perm=BANDS * ROWS, seed=1, **given)
    else:
        signature.clear()
    return signature


def band_keys(pairs: set[str]) -> list[str]:
    """LSH band keys of a MinHash signature (datasketch) of the word pairs; none for a text too short
    to compare. Two texts whose pairs overlap by Jaccard J share a band with probability
    1 − (1 − J²)^16: 0.48 at J = 0.2, 0.78 at J = 0.3, 0.99 at J = 0.5."""
    if len(pairs) < MIN_SHINGLES:
        return []
    signature = _minhash()
    signature.update_batch([pair.encode("utf-8") for pair in pairs])  # a minimum: the order makes no difference
    # Each band's bytes are its ROWS values' bytes: one conversion, then slices.
    values = signature.hashvalues.tobytes()
    width = len(values) // BANDS
    return [f"m{band}:" + hashlib.sha256(values[band * width:(band + 1) * width]).hexdigest()[:32]
            for band in range(BANDS)]


def fingerprints(title: str | None, text: str | None, content_hash: str, canonical_url: str | None = None,
                 pairs: set[str] | None = None) -> list[str]:
    """Exact keys (content hash, canonical URL, normalised title, start of the text), then LSH band
    keys ("m…", candidates only: core.ingest.stories checks them on the texts). `pairs`: the post's
    shingles, when the caller has them already."""
    keys = ["c:" + content_hash]
    if canonical_url:
        # The same article from another source (a second feed, a share): amplification of one story.
        keys.append("u:" + hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:40])
    if title:
        stripped = _TITLE_SUFFIX.sub("", title.strip())
        words = _words(stripped)
        if len(words) < MIN_TITLE_WORDS:
            words = _words(title)
        if len(words) >= MIN_TITLE_WORDS:
            keys.append(_digest("t:", words))
    words = _words(text or "")
    if len(words) >= MIN_TEXT_WORDS:
        keys.append(_digest("x:", words[:TEXT_WORDS]))
    return keys + band_keys(shingles(title, text) if pairs is None else pairs)


def story_title(title: str | None, text: str | None) -> str:
    """The post's title, or for an untitled post the start of its text."""
    if title and title.strip():
        return title.strip()[:300]
    text = " ".join((text or "").split())
    return text[:TITLE_CHARS - 3] + "…" if len(text) > TITLE_CHARS else text


def stories_of(conn: Connection, post_ids: Iterable[int]) -> set[int]:
    """The stories the posts `post_ids` belong to (read before the posts are deleted)."""
    ids = list(post_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found |= set(conn.execute(
            select(posts.c.story_id).where(posts.c.id.in_(ids[start:start + 1000]), posts.c.story_id.is_not(None))
            .distinct()
        ).scalars())
    return found


def rewrite_stories(conn: Connection, story_ids: Iterable[int]) -> dict[str, int]:
    """Bring `story_ids` in line with the posts they still hold; returns {"deleted": n, "rewritten": n}."""
    deleted = rewritten = 0
    for story_id in sorted(set(story_ids)):
        rows = conn.execute(
            select(posts.c.id, posts.c.title, posts.c.text, posts.c.content_hash, posts.c.canonical_url,
                   posts.c.published_at)
            .where(posts.c.story_id == story_id).order_by(posts.c.published_at, posts.c.id)
        ).all()
        conn.execute(delete(story_keys).where(story_keys.c.story_id == story_id))
        if not rows:
            conn.execute(delete(stories).where(stories.c.id == story_id))
            deleted += 1
            continue
        first = rows[0]
        conn.execute(update(stories).where(stories.c.id == story_id).values(
            first_post_id=first.id, title=story_title(first.title, first.text), posts=len(rows),
            first_seen=first.published_at, last_seen=rows[-1].published_at,
        ))
        keys = {key for row in rows for key in fingerprints(row.title, row.text, row.content_hash, row.canonical_url)}
        # A fingerprint a newer story has taken over stays with that story.
        taken = set(conn.execute(select(story_keys.c.key).where(story_keys.c.key.in_(keys))).scalars())
        if keys - taken:
            conn.execute(insert(story_keys), [{"key": key, "story_id": story_id} for key in sorted(keys - taken)])
        rewritten += 1
    return {"deleted": deleted, "rewritten": rewritten}


# --- what story grouping (core.ingest.stories) reads and writes, a batch of posts at a time -------------

def prune_story_keys(conn: Connection, before: datetime) -> int:
    """Delete the fingerprints of the stories whose newest post is older than `before` (retention passes
    now - KEYS_KEPT); returns how many. Such a story takes no new post (core.ingest.stories groups a post
    only with stories seen within STORY_SPAN of it), so its keys would only make the table grow, by
    some twenty per post. The story itself stays, with its posts, until retention deletes those."""
    old = select(stories.c.id).where(stories.c.last_seen < before).scalar_subquery()
    return conn.execute(delete(story_keys).where(story_keys.c.story_id.in_(old))).rowcount or 0


def key_owners(conn: Connection, keys: Iterable[str]) -> dict[str, Any]:
    """{fingerprint: (story id, first_seen, last_seen)} for the keys a story holds."""
    found: dict[str, Any] = {}
    for chunk in chunks(conn, sorted(set(keys))):
        rows = conn.execute(
            select(story_keys.c.key, stories.c.id, stories.c.first_seen, stories.c.last_seen)
            .join(stories, stories.c.id == story_keys.c.story_id)
            .where(any_of(conn, story_keys.c.key, chunk))
        )
        found.update((row.key, row) for row in rows)
    return found


def newest_posts(conn: Connection, story_ids: Iterable[int], limit: int) -> list[Any]:
    """The newest `limit` posts (id, story_id, title, text) of each story, newest first."""
    found: list[Any] = []
    for chunk in chunks(conn, sorted(set(story_ids))):
        ranked = (
            select(posts.c.id, posts.c.story_id, posts.c.title, posts.c.text,
                   func.row_number().over(partition_by=posts.c.story_id, order_by=posts.c.id.desc()).label("rank"))
            .where(any_of(conn, posts.c.story_id, chunk))
            .subquery()
        )
        found.extend(conn.execute(
            select(ranked.c.id, ranked.c.story_id, ranked.c.title, ranked.c.text).where(ranked.c.rank <= limit)
        ))
    found.sort(key=lambda row: row.id, reverse=True)
    return found


def add_stories(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert new stories (first_post_id, title, posts, first_seen, last_seen); their ids, in order."""
    ids = {row.first_post_id: row.id for row in insert_rows(conn, stories, rows, returning=("id", "first_post_id"))}
    return [ids[row["first_post_id"]] for row in rows]  # a new story's first post is its own


def grow_stories(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Existing stories that took posts: `added` more posts, a later last_seen, and where a post older
    than the story's first came in (first_post_id not None), that post and its time as the first.

    On PostgreSQL the stories are locked first, in id order and in one statement: an UPDATE ... FROM
    locks its rows in the order its join meets them, and two statements each lock their own share,
    so two workers growing overlapping stories could each hold one the other waits for (a deadlock
    that aborts a whole batch)."""
    rows = sorted(rows, key=lambda row: row["id"])
    if rows and is_postgres(conn):
        conn.execute(select(stories.c.id).where(any_of(conn, stories.c.id, [r["id"] for r in rows]))
                     .order_by(stories.c.id).with_for_update())
    update_rows(conn, stories, "id", [{"id": r["id"], "posts": r["added"], "last_seen": r["last_seen"]}
                                      for r in rows if r["first_post_id"] is None], add=("posts",))
    update_rows(conn, stories, "id", [{"id": r["id"], "posts": r["added"], "last_seen": r["last_seen"],
                                       "first_post_id": r["first_post_id"], "first_seen": r["first_seen"]}
                                      for r in rows if r["first_post_id"] is not None], add=("posts",))


def own_keys(conn: Connection, owners: dict[str, int]) -> None:
    """The newest story holding a fingerprint owns it, so an expired story's keys move on. An upsert,
    not delete-then-insert: two workers storing look-alike posts at once must not collide on a key; in
    key order, so two workers' upserts of overlapping keys cannot deadlock."""
    insert_rows(conn, story_keys, [{"key": key, "story_id": owners[key]} for key in sorted(owners)],
                conflict=("key",), update=("story_id",))


def set_post_stories(conn: Connection, story_of: dict[int, int]) -> None:
    """posts.story_id for each post id."""
    update_rows(conn, posts, "id", [{"id": post_id, "story_id": story_id} for post_id, story_id in sorted(story_of.items())])

"""Data-subject requests (AVG art. 15 inzage, art. 17 verwijdering) for one handle.

The store keeps no private person's handle: `find` turns the handle (or the pseudonym the workspace
shows, "inwoner-3fa9c2d1") into what the store does keep
(the keyed pseudonym of the handle, and for people on the public-role list the handle and name
themselves) and lists the posts by them, the posts that @mention them, their stories and the stored
newsletters that quote them. `erase` removes all of that: their posts (counted first as anonymous hourly
counts, as retention does; scores, themes, corrections and handling go with them), their @mentions in
other people's posts (shown as "@…" from then on), the stories' titles and fingerprints (rewritten), the
alerts' references and the content of the newsletters that quoted them. Both are recorded in the audit
log with the pseudonym and the counts, never the handle.

The CLI (`newsroom privacy find|erase`) and the workspace call these two functions.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from core.ingest.privacy import Pseudonymiser, shown_pseudonym
from core.store import audit, subjects

QUOTE_CHARS = 60


# A pseudonym as the workspace shows it: staff who only see "inwoner-3fa9c2d1" can look that up.
PSEUDONYM = re.compile(r"^@?inwoner-[0-9a-f]{8}$")


def _pseudonym(pseudonymiser: Pseudonymiser, handle: str) -> str:
    """The pseudonym of `handle`, or `handle` itself when it is one already."""
    handle = handle.strip()
    return handle.lstrip("@") if PSEUDONYM.match(handle) else pseudonymiser.pseudonym(handle.lstrip("@"))


def _keys(pseudonymiser: Pseudonymiser, handle: str) -> tuple[list[str], list[str]]:
    """(author keys, mention tokens) the store may hold for `handle` (a handle, or a shown pseudonym)."""
    handle = handle.strip()
    if PSEUDONYM.match(handle):
        return [handle.lstrip("@")], [handle.lstrip("@")]
    variants = {handle, handle.lstrip("@")}
    local = handle.lstrip("@").split("@")[0]  # piet@mastodon.nl is "piet" on its own instance
    variants.add(local)
    pseudonyms = {pseudonymiser.pseudonym(v) for v in variants if v}
    keys = set(pseudonyms)
    mentions = set(pseudonyms)
    if pseudonymiser.is_public(handle):
        keys |= {v for v in variants if v}
        mentions |= {v.lstrip("@") for v in variants if v}
    return sorted(keys), sorted(mentions)


def find(conn: Connection, pseudonymiser: Pseudonymiser, handle: str, *, actor: str) -> dict[str, Any]:
    """What is stored about `handle`; the lookup itself is audited."""
    report = _collect(conn, pseudonymiser, handle)
    audit.record(conn, actor, "privacy.find", _summary(report))
    return report


def erase(conn: Connection, pseudonymiser: Pseudonymiser, handle: str, *, actor: str) -> dict[str, Any]:
    """Remove everything stored about `handle` (see the module docstring); returns the counts, audited."""
    report = _collect(conn, pseudonymiser, handle)
    own = [post["id"] for post in report["posts"]]
    counts = {
        "posts": subjects.erase_posts(conn, own),
        "mentions": subjects.redact_mentions(conn, [post["id"] for post in report["mentions"]], report["mention_keys"]),
        "stories": len(report["stories"]),
        "newsletters": subjects.redact_newsletters(conn, report["newsletters"]),
    }
    audit.record(conn, actor, "privacy.erase", {"pseudonym": report["pseudonym"], **counts})
    return {"pseudonym": report["pseudonym"], "public": report["public"], **counts}


def _collect(conn: Connection, pseudonymiser: Pseudonymiser, handle: str) -> dict[str, Any]:
    keys, mentions = _keys(pseudonymiser, handle)
    own = subjects.posts_by(conn, keys)
    mentioning = subjects.posts_mentioning(conn, mentions, exclude=[row.id for row in own])
    stories = subjects.stories_with(conn, [row.id for row in own])
    # A newsletter names a private author as shown_pseudonym(author_id) and quotes the start of a post.
    needles = [*keys, *(shown_pseudonym(k) for k in keys),
               *(" ".join((row.text or "").split())[:QUOTE_CHARS] for row in own)]
    return {
        "handle": handle,
        "pseudonym": _pseudonym(pseudonymiser, handle),
        "public": pseudonymiser.is_public(handle),
        "posts": [_post(row) for row in own],
        "mentions": [_post(row) for row in mentioning],
        "mention_keys": mentions,
        "stories": [{"id": row.id, "title": row.title, "posts": row.posts} for row in stories],
        "newsletters": subjects.newsletters_quoting(conn, needles),
    }


def _post(row) -> dict[str, Any]:
    return {"id": row.id, "source": row.source, "channel": row.channel, "published_at": row.published_at.isoformat(),
            "author": row.author, "url": row.url, "title": row.title, "text": row.text}


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {"pseudonym": report["pseudonym"], "posts": len(report["posts"]), "mentions": len(report["mentions"]),
            "stories": len(report["stories"]), "newsletters": len(report["newsletters"])}

"""What staff record in the workspace besides labels and signals: posts marked handled
("afgehandeld") with a note, saved searches, and the adviser's edits to a coming newsletter edition."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from core.store.filters import PostFilter
from core.store.schema import newsletter_edits, post_handling, posts, saved_searches, stories, utcnow

MAX_NOTE = 2000


def handling(conn: Connection, post_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(post_handling).where(post_handling.c.post_id == post_id)).first()
    return None if row is None else dict(row._mapping)


def mark_handled(conn: Connection, post_id: int, *, by: str, note: str | None) -> dict[str, Any]:
    """Mark a post handled (again: the note and who are replaced). LookupError for an unknown post."""
    if conn.execute(select(posts.c.id).where(posts.c.id == post_id)).first() is None:
        raise LookupError(f"post {post_id} does not exist")
    values = {"by": by[:100], "note": (note or "").strip()[:MAX_NOTE] or None, "handled_at": utcnow()}
    if handling(conn, post_id) is None:
        conn.execute(insert(post_handling).values(post_id=post_id, **values))
    else:
        conn.execute(update(post_handling).where(post_handling.c.post_id == post_id).values(**values))
    return handling(conn, post_id)


def unmark_handled(conn: Connection, post_id: int) -> bool:
    return conn.execute(delete(post_handling).where(post_handling.c.post_id == post_id)).rowcount > 0


def save_search(conn: Connection, account_id: int, name: str, query: str) -> dict[str, Any]:
    """Keep a search under a name for this account; the same name again replaces it."""
    name = name.strip()[:100]
    if not name:
        raise ValueError("Geef de zoekopdracht een naam.")
    conn.execute(delete(saved_searches).where(saved_searches.c.account_id == account_id, saved_searches.c.name == name))
    conn.execute(insert(saved_searches).values(account_id=account_id, name=name, query=query[:2000], created_at=utcnow()))
    return {"name": name, "query": query}


def searches(conn: Connection, account_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(saved_searches).where(saved_searches.c.account_id == account_id)
                        .order_by(saved_searches.c.name))
    return [dict(row._mapping) for row in rows]


def delete_search(conn: Connection, account_id: int, search_id: int) -> bool:
    return conn.execute(delete(saved_searches).where(saved_searches.c.account_id == account_id,
                                                     saved_searches.c.id == search_id)).rowcount > 0


def newsletter_edit(conn: Connection, week: str) -> dict[str, Any]:
    """The adviser's intro and excluded/pinned post ids for an edition (empty when none)."""
    row = conn.execute(select(newsletter_edits).where(newsletter_edits.c.week == week)).first()
    if row is None:
        return {"week": week, "intro": None, "excluded": [], "pinned": [], "updated_by": None, "updated_at": None}
    return dict(row._mapping)


def save_newsletter_edit(conn: Connection, week: str, *, by: str, intro: str | None = None,
                         excluded: list[int] | None = None, pinned: list[int] | None = None) -> dict[str, Any]:
    """Change what is given (None leaves it) of an edition's edits."""
    current = newsletter_edit(conn, week)
    values = {
        "intro": current["intro"] if intro is None else (intro.strip()[:MAX_NOTE] or None),
        "excluded": current["excluded"] if excluded is None else sorted({int(i) for i in excluded}),
        "pinned": current["pinned"] if pinned is None else sorted({int(i) for i in pinned}),
        "updated_by": by[:100],
        "updated_at": utcnow(),
    }
    if current["updated_at"] is None:
        conn.execute(insert(newsletter_edits).values(week=week, **values))
    else:
        conn.execute(update(newsletter_edits).where(newsletter_edits.c.week == week).values(**values))
    return newsletter_edit(conn, week)


def count_posts(conn: Connection, filters: PostFilter, *, cap: int = 10_000) -> tuple[int, bool]:
    """(how many posts match, whether there are more than `cap`): counting stops at the cap, so a
    broad search on a million posts stays as fast as its first page."""
    matching = select(posts.c.id).where(*filters.conditions()).limit(cap + 1).subquery()
    n = conn.execute(select(func.count()).select_from(matching)).scalar_one()
    return min(n, cap), n > cap


def story_sizes(conn: Connection, story_ids: list[int]) -> dict[int, int]:
    """{story id: posts carrying it} for "n× gedeeld"."""
    ids = sorted({i for i in story_ids if i is not None})
    if not ids:
        return {}
    return dict(conn.execute(select(stories.c.id, stories.c.posts).where(stories.c.id.in_(ids))).all())

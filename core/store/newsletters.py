"""The newsletters table: one row per ISO week with the subject, HTML and text as built and mailed.

A week that was sent is never rebuilt in place (the archive keeps what the recipients received), and a
send is claimed before the mail server is called, so two processes cannot both send it. A newsletter
quotes posts (text, authors, images): its content is kept no longer than the first of those posts
(`quoted_until`, `expire`), whatever the retention of the others.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from core.config.watch import parse_duration
from core.store.schema import newsletters, posts, stories, utcnow

# What a newsletter holds once the posts it quoted are gone: its week, subject and send record stay
# (so the week is never sent again), its content does not.
EXPIRED_TEXT = ("Deze nieuwsbrief is verwijderd: de berichten die erin werden aangehaald, zijn na hun "
                "bewaartermijn verwijderd, en de nieuwsbrief met hen.")


def get(conn: Connection, week: str):
    """The stored row of `week`, or None."""
    return conn.execute(select(newsletters).where(newsletters.c.week == week)).first()


def save(conn: Connection, week: str, *, subject: str, html: str, text: str,
         expires_at: datetime | None = None) -> bool:
    """Store the week's newsletter, replacing an unsent one; False (and nothing changed) once sent.
    `expires_at`: when the first post it quotes is past its retention (quoted_until)."""
    values = {"subject": subject, "html": html, "text": text, "built_at": utcnow(), "expires_at": expires_at}
    row = get(conn, week)
    if row is None:
        conn.execute(insert(newsletters).values(week=week, recipients=[], attempts=0, **values))
        return True
    if row.sent_at is not None:
        return False
    result = conn.execute(
        update(newsletters).where(newsletters.c.week == week, newsletters.c.sent_at.is_(None)).values(**values)
    )
    return result.rowcount == 1


def sent_at(conn: Connection, week: str) -> datetime | None:
    return conn.execute(select(newsletters.c.sent_at).where(newsletters.c.week == week)).scalar()


def claim(conn: Connection, row) -> bool:
    """Mark `row` as being sent, only if nobody changed its sent_at since it was read."""
    unchanged = newsletters.c.sent_at.is_(None) if row.sent_at is None else newsletters.c.sent_at == row.sent_at
    claimed = conn.execute(
        update(newsletters).where(newsletters.c.id == row.id, unchanged).values(sent_at=utcnow())
    ).rowcount
    return claimed == 1


def release(conn: Connection, row, error: str) -> None:
    """The send failed: sent_at back to what it was, the attempt and its error recorded."""
    conn.execute(
        update(newsletters).where(newsletters.c.id == row.id)
        .values(sent_at=row.sent_at, attempts=newsletters.c.attempts + 1, last_error=error[:2000])
    )


def mark_sent(conn: Connection, row, recipients: list[str], error: str | None) -> None:
    conn.execute(
        update(newsletters).where(newsletters.c.id == row.id)
        .values(sent_at=utcnow(), attempts=newsletters.c.attempts + 1, recipients=recipients, last_error=error)
    )


def archive(conn: Connection) -> list[dict[str, Any]]:
    """Every stored week, newest first, with when it was built and sent (no HTML)."""
    rows = conn.execute(
        select(newsletters.c.week, newsletters.c.subject, newsletters.c.built_at, newsletters.c.sent_at,
               newsletters.c.attempts, newsletters.c.last_error)
        .order_by(newsletters.c.week.desc())
    )
    return [
        {
            "week": row.week,
            "subject": row.subject,
            "built_at": row.built_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "url": f"/newsletters/{row.week}",
        }
        for row in rows
    ]


def html(conn: Connection, week: str) -> str | None:
    return conn.execute(select(newsletters.c.html).where(newsletters.c.week == week)).scalar()


def quoted_until(conn: Connection, post_ids: list[int], story_ids: list[int],
                 retention: dict[str, str]) -> datetime | None:
    """When the first of the quoted posts (and the first posts of the quoted stories, whose title is
    theirs) passes its channel's retention; None when it quotes nothing that expires."""
    conditions = []
    if post_ids:
        conditions.append(posts.c.id.in_(post_ids))
    if story_ids:
        conditions.append(posts.c.id.in_(select(stories.c.first_post_id).where(stories.c.id.in_(story_ids))))
    if not conditions:
        return None
    moments = [
        row.published_at + parse_duration(retention[row.channel])
        for row in conn.execute(select(posts.c.channel, posts.c.published_at).where(or_(*conditions)))
        if row.channel in retention
    ]
    return min(moments, default=None)


def expire(conn: Connection, now: datetime) -> int:
    """Remove the content of newsletters whose quotes are past their retention; returns how many."""
    return conn.execute(
        update(newsletters).where(newsletters.c.expires_at.is_not(None), newsletters.c.expires_at <= now)
        .values(html=EXPIRED_TEXT, text=EXPIRED_TEXT, expires_at=None)
    ).rowcount

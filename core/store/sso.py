"""Single sign-ons under way (OpenID Connect, workspace.oidc): what the callback must find again.

Kept server-side so that every web process can finish a sign-on another one started; the browser
carries only the random state, and the store keeps its SHA-256. Each is used once and expires; expired
ones are deleted whenever a sign-on starts or ends, so the table holds only the last minutes' sign-ons
(how many one client may start is limited by workspace.oidc, through `pending`).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from core.store.schema import sso_logins, utcnow


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def prune(conn: Connection) -> int:
    """Delete expired sign-ons; returns how many."""
    return conn.execute(delete(sso_logins).where(sso_logins.c.expires_at < utcnow())).rowcount


def pending(conn: Connection, client_net: str | None = None) -> int:
    """Sign-ons under way (not expired): all, or those started from one client net."""
    query = select(func.count()).select_from(sso_logins).where(sso_logins.c.expires_at >= utcnow())
    if client_net is not None:
        query = query.where(sso_logins.c.client_net == client_net)
    return conn.execute(query).scalar_one()


def begin(conn: Connection, state: str, nonce: str, code_verifier: str, target: str, lifetime: timedelta,
          *, client_net: str | None = None) -> None:
    """Remember a sign-on that goes to the provider now; expired ones are swept at the same time."""
    prune(conn)
    conn.execute(insert(sso_logins).values(state_hash=_hash(state), nonce=nonce, code_verifier=code_verifier,
                                           target=target, expires_at=utcnow() + lifetime, client_net=client_net))


def take(conn: Connection, state: str) -> dict[str, Any] | None:
    """The sign-on of this state ({"nonce", "code_verifier", "target"}), removed: it counts once.
    None when unknown or expired."""
    prune(conn)
    row = conn.execute(select(sso_logins).where(sso_logins.c.state_hash == _hash(state))).first()
    if row is None:
        return None
    # Whoever deletes it has it: of two callbacks racing with one state, the second deletes nothing.
    taken = conn.execute(delete(sso_logins).where(sso_logins.c.state_hash == row.state_hash)).rowcount
    if taken != 1 or row.expires_at < utcnow():
        return None
    return {"nonce": row.nonce, "code_verifier": row.code_verifier, "target": row.target}

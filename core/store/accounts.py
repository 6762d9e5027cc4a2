"""Staff accounts of the workspace and their sessions.

Passwords are stored as argon2id hashes (argon2-cffi, its current recommended parameters; a hash made
with older parameters is upgraded at the next login). A session is a random key in an HttpOnly cookie;
the store keeps only its SHA-256, so a copy of the database opens no sessions. Disabling an account or
changing its password ends its sessions. Failed logins are counted from the audit log
("login.failed"), so the limit holds across web processes.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, select, update

from core.store.schema import accounts, audit_log, sessions, utcnow
from core.vocabulary import ROLES

_hasher = PasswordHasher()
# Verifying against this when the name is unknown takes as long as a real check: timing tells nothing.
_DUMMY_HASH = _hasher.hash("newsroom-no-such-account")
MIN_PASSWORD = 8
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-_@")


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is Dutch, for the user."""


def _check_name(name: str) -> str:
    name = name.strip().lower()
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise AccountError("Een accountnaam bestaat uit 1 tot 100 kleine letters, cijfers of . - _ @.")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Onbekende rol {role!r}; kies uit {', '.join(ROLES)}.")
    return role


def hash_password(password: str, *, allow_short: bool = False) -> str:
    if len(password) < MIN_PASSWORD and not allow_short:
        raise AccountError(f"Een wachtwoord heeft minstens {MIN_PASSWORD} tekens.")
    return _hasher.hash(password)


def _public(row) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "enabled": row.enabled,
            "has_password": row.password_hash is not None, "created_at": row.created_at,
            "last_login_at": row.last_login_at}


def create_account(conn: Connection, name: str, role: str, password: str | None, *,
                   allow_short_password: bool = False) -> dict[str, Any]:
    """A new account; `password` None for single sign-on only. AccountError when the name is taken."""
    name, role = _check_name(name), _check_role(role)
    if conn.execute(select(accounts.c.id).where(accounts.c.name == name)).first() is not None:
        raise AccountError(f"Er is al een account {name!r}.")
    now = utcnow()
    hashed = None if password is None else hash_password(password, allow_short=allow_short_password)
    conn.execute(insert(accounts).values(name=name, role=role, password_hash=hashed, enabled=True,
                                         created_at=now, updated_at=now))
    return get_account(conn, name)


def get_account(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(accounts).where(accounts.c.name == name.strip().lower())).first()
    return None if row is None else _public(row)


def list_accounts(conn: Connection) -> list[dict[str, Any]]:
    return [_public(row) for row in conn.execute(select(accounts).order_by(accounts.c.name))]


def _change(conn: Connection, name: str, **values) -> dict[str, Any]:
    result = conn.execute(update(accounts).where(accounts.c.name == name).values(updated_at=utcnow(), **values))
    if result.rowcount == 0:
        raise AccountError(f"Geen account {name!r}.")
    return get_account(conn, name)


def set_role(conn: Connection, name: str, role: str) -> dict[str, Any]:
    return _change(conn, name, role=_check_role(role))


def set_enabled(conn: Connection, name: str, enabled: bool) -> dict[str, Any]:
    account = _change(conn, name, enabled=enabled)
    if not enabled:
        end_sessions(conn, account["id"])
    return account


def set_password(conn: Connection, name: str, password: str) -> dict[str, Any]:
    account = _change(conn, name, password_hash=hash_password(password))
    end_sessions(conn, account["id"])
    return account


def authenticate(conn: Connection, name: str, password: str) -> dict[str, Any] | None:
    """The account when `password` is right and the account enabled; else None (in the same time)."""
    row = conn.execute(select(accounts).where(accounts.c.name == name.strip().lower())).first()
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.password_hash or not row.enabled:
        return None
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    conn.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
    return _public(row)


def recent_failures(conn: Connection, name: str, since: datetime) -> int:
    """Failed logins for this name since then (audit log action "login.failed")."""
    return conn.execute(
        select(func.count()).select_from(audit_log)
        .where(audit_log.c.action == "login.failed", audit_log.c.actor == name.strip().lower()[:100],
               audit_log.c.at >= since)
    ).scalar_one()


# -- sessions ----------------------------------------------------------------------------------------

def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(conn: Connection, account_id: int, lifetime: timedelta) -> str:
    """A new session; returns the key for the cookie. Expired sessions are swept at the same time."""
    now = utcnow()
    conn.execute(delete(sessions).where(sessions.c.expires_at < now))
    key = secrets.token_urlsafe(32)
    conn.execute(insert(sessions).values(key_hash=_key_hash(key), account_id=account_id,
                                         csrf=secrets.token_urlsafe(32), created_at=now, expires_at=now + lifetime))
    return key


def session_account(conn: Connection, key: str) -> dict[str, Any] | None:
    """The enabled account of a live session, with the session's "csrf" token; None otherwise."""
    if not key:
        return None
    row = conn.execute(
        select(accounts, sessions.c.csrf, sessions.c.expires_at)
        .join(sessions, sessions.c.account_id == accounts.c.id)
        .where(sessions.c.key_hash == _key_hash(key))
    ).first()
    if row is None or not row.enabled or row.expires_at < utcnow():
        return None
    return {**_public(row), "csrf": row.csrf}


def end_session(conn: Connection, key: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.key_hash == _key_hash(key)))


def end_sessions(conn: Connection, account_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.account_id == account_id))

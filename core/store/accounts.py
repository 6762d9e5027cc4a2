"""Staff accounts of the workspace and their sessions.

Passwords are stored as argon2id hashes (argon2-cffi, its current recommended parameters; a hash made
with older parameters is upgraded at the next login). A session is a random key in an HttpOnly cookie;
the store keeps only its SHA-256, so a copy of the database opens no sessions. Disabling an account or
changing its password ends its sessions. Failed logins are counted from the audit log
("login.failed", per name and per client address), so the limits hold across web processes. An account
may also be opened by single sign-on (OpenID Connect): it is then bound to the provider's subject.
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


def recent_failures(conn: Connection, name: str | None, since: datetime, *, client: str | None = None) -> int:
    """Failed logins since then (audit log action "login.failed"): for this name, from this client
    (the "net" of the entry's detail: an address, or an IPv6 /64), or for this name from this client."""
    query = (select(func.count()).select_from(audit_log)
             .where(audit_log.c.action == "login.failed", audit_log.c.at >= since))
    if name is not None:
        query = query.where(audit_log.c.actor == name.strip().lower()[:100])
    if client is not None:
        query = query.where(audit_log.c.detail["net"].as_string() == client)
    return conn.execute(query).scalar_one()


def sso_account(conn: Connection, name: str, subject: str, *, role: str | None,
                create_role: str | None) -> dict[str, Any]:
    """The account a single sign-on as `subject` (the provider's "sub") with `name` opens.

    An account is found by the subject it is bound to, else by name (and then bound to the subject at
    this first sign-on; one bound to another subject is refused: a reused or changed name at the
    provider must not open someone else's account). None found: created with `create_role` when given.
    `role` (from the provider's role claim) is set on the account when given. A disabled account is
    refused. AccountError (Dutch) when the sign-on may not open an account.
    """
    subject = subject.strip()
    if not subject or len(subject) > 255:
        raise AccountError("De aanmelding bevat geen geldige identiteit (sub).")
    row = conn.execute(select(accounts).where(accounts.c.oidc_subject == subject)).first()
    if row is None:
        name = _check_name(name)
        row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        if row is not None and row.oidc_subject is not None:
            raise AccountError(f"Het account {name!r} hoort bij een andere aanmelding; vraag beheer het na te kijken.")
        if row is None:
            if create_role is None:
                raise AccountError(f"Er is geen account {name!r} in de werkruimte; vraag beheer er een aan te maken.")
            create_account(conn, name, role or create_role, None)
            row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        conn.execute(update(accounts).where(accounts.c.id == row.id).values(oidc_subject=subject))
    if not row.enabled:
        raise AccountError("Dit account is uitgeschakeld; vraag beheer het weer in te schakelen.")
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if role is not None and role != row.role:
        values.update(role=_check_role(role), updated_at=utcnow())
    conn.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
    return get_account(conn, row.name)


# -- sessions ----------------------------------------------------------------------------------------

def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(conn: Connection, account_id: int, lifetime: timedelta, *, id_token: str | None = None) -> str:
    """A new session; returns the key for the cookie. Expired sessions are swept at the same time.
    `id_token`: the single sign-on's ID token, kept for the provider's logout (end_session)."""
    now = utcnow()
    conn.execute(delete(sessions).where(sessions.c.expires_at < now))
    key = secrets.token_urlsafe(32)
    conn.execute(insert(sessions).values(key_hash=_key_hash(key), account_id=account_id,
                                         csrf=secrets.token_urlsafe(32), created_at=now, expires_at=now + lifetime,
                                         id_token=id_token))
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


def end_session(conn: Connection, key: str) -> str | None:
    """End one session; returns its ID token when it was a single sign-on (None otherwise)."""
    id_token = conn.execute(select(sessions.c.id_token).where(sessions.c.key_hash == _key_hash(key))).scalar()
    conn.execute(delete(sessions).where(sessions.c.key_hash == _key_hash(key)))
    return id_token


def end_sessions(conn: Connection, account_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.account_id == account_id))

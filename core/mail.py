"""The SMTP connection every mailer uses (newsletter, alerts), from NEWSROOM_SMTP_URL.

smtp://host[:25]                          plain (a relay on the local network)
smtp://user:pass@host:587?starttls=true   STARTTLS required
smtp+starttls://user:pass@host[:587]      the same
smtps://user:pass@host[:465]              TLS from the start
?timeout=30                               seconds per SMTP operation
"""
from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_TIMEOUT = 30.0


class MailConfigError(ValueError):
    """NEWSROOM_SMTP_URL cannot be used; the message never contains the password."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # plain | starttls | ssl
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = SMTP_TIMEOUT

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def smtp_target(url: str) -> SmtpTarget:
    """NEWSROOM_SMTP_URL -> where and how to connect."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise MailConfigError(f"NEWSROOM_SMTP_URL is not a valid URL: {exc}") from None
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        raise MailConfigError(
            "NEWSROOM_SMTP_URL must look like smtp://host:25, smtp://user:password@host:587?starttls=true, "
            "smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise MailConfigError(f"NEWSROOM_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))} (known: starttls, timeout)")
    if parts.scheme == "smtps":
        security, default_port = "ssl", 465
    elif parts.scheme == "smtp+starttls" or _flag(query.get("starttls", "")):
        security, default_port = "starttls", 587
    else:
        security, default_port = "plain", 25
    try:
        timeout = float(query.get("timeout", SMTP_TIMEOUT))
    except ValueError:
        raise MailConfigError(f"NEWSROOM_SMTP_URL: timeout must be a number of seconds, got {query['timeout']!r}") from None
    return SmtpTarget(
        host=parts.hostname, port=port or default_port, security=security,
        user=unquote(parts.username or ""), password=unquote(parts.password or ""), timeout=timeout,
    )


@contextmanager
def smtp_connection(target: SmtpTarget) -> Iterator[smtplib.SMTP]:
    """A connected, secured and logged-in SMTP client; smtplib's errors pass through."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.security == "ssl":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
    with client:
        client.ehlo()
        if target.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if target.user:
            client.login(target.user, target.password)
        yield client

"""Sending e-mail through the server in NEWSROOM_SMTP_URL.

smtp://[user:password@]host[:port]          plain SMTP (port 25), e.g. a local relay
smtp+starttls://user:password@host[:port]   STARTTLS required (port 587)
smtps://user:password@host[:port]           TLS from the start (port 465)
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 30


class MailNotConfigured(RuntimeError):
    pass


def send_mail(smtp_url: str, message: EmailMessage) -> None:
    if not smtp_url:
        raise MailNotConfigured("NEWSROOM_SMTP_URL is niet ingesteld")
    url = urlsplit(smtp_url)
    if url.scheme not in DEFAULT_PORTS or not url.hostname:
        raise MailNotConfigured("NEWSROOM_SMTP_URL moet smtp://, smtp+starttls:// of smtps://host[:poort] zijn")
    port = url.port or DEFAULT_PORTS[url.scheme]
    context = ssl.create_default_context()
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(url.hostname, port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(url.hostname, port, timeout=TIMEOUT)
    with client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=context)
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)

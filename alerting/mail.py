"""Sending an alert e-mail through the server in NEWSROOM_SMTP_URL (see core.mail for its forms)."""
from __future__ import annotations

from email.message import EmailMessage

from core.mail import MailConfigError, smtp_connection, smtp_target


class MailNotConfigured(RuntimeError):
    pass


def send_mail(smtp_url: str, message: EmailMessage) -> None:
    if not smtp_url:
        raise MailNotConfigured("NEWSROOM_SMTP_URL is niet ingesteld")
    try:
        target = smtp_target(smtp_url)
    except MailConfigError as exc:
        raise MailNotConfigured(str(exc)) from None
    with smtp_connection(target) as client:
        client.send_message(message)

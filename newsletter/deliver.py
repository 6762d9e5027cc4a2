"""Mailing the newsletter: compose a MIME message from the stored newsletter, send it over SMTP, and
record in the store that the week went out, so it goes out once.

Composing and sending are separate: compose() makes an EmailMessage (text and HTML alternatives, the
chart as an inline CID image) from exactly what the archive holds; send_message() only talks SMTP.
send_week() ties them to the newsletters table:

- a week that was sent is refused unless `resend` is given;
- before talking to the server the row is claimed (sent_at set where it was still empty), so two
  processes cannot both send it; the claim is released again when the server could not be reached or
  refused the message, with `attempts` and `last_error` recorded, and the next try starts afresh;
- so a failure leaves the week unsent (a later try sends it once) and a success is recorded at once.
  Only a process killed in the seconds between the server's "accepted" and the commit could leave a
  week marked sent without anyone receiving it: at most once, never twice.

send_due() is the scheduler's job: it sends last week's newsletter when its send time has come and it
has not gone out yet, and is safe to call as often as wanted.
"""
from __future__ import annotations

import base64
import binascii
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import Engine

from core.config.settings import Settings
from core.config.watch import WatchConfig
from core.mail import MailConfigError, SmtpTarget, smtp_connection
from core.mail import smtp_target as parse_smtp_url
from core.store import newsletters as store
from core.store.schema import utcnow

from .archive import build_and_save, get, is_complete
from .weeks import last_full_week, latest_send, parse_week

log = logging.getLogger(__name__)

# A newsletter more than this late (server down all Monday) is no longer sent by the scheduler.
CATCH_UP = timedelta(days=2)
# Only the data: images our own template writes; post text is escaped, so it can never match.
_DATA_IMAGE = re.compile(r'src="data:image/(png|jpeg|gif);base64,([A-Za-z0-9+/=]+)"')


class NewsletterError(Exception):
    """A newsletter that cannot be built or sent; the message says why, in plain words."""


class AlreadySent(NewsletterError):
    pass


class DeliveryFailed(NewsletterError):
    """The SMTP server could not be reached or did not accept the message; try again later."""


def smtp_target(url: str) -> SmtpTarget:
    """NEWSROOM_SMTP_URL -> where and how to connect (core.mail), as a NewsletterError when unusable."""
    try:
        return parse_smtp_url(url)
    except MailConfigError as exc:
        raise NewsletterError(str(exc)) from None


def inline_images(html: str, name: str, domain: str) -> tuple[str, list[tuple[str, bytes, str]]]:
    """Replace every data: image of the HTML by a cid: reference; returns the HTML and the images.

    A Content-ID only has to be unique within its message: `name.N@domain` keeps it short and stable.
    """
    images: list[tuple[str, bytes, str]] = []

    def to_cid(match: re.Match) -> str:
        try:
            data = base64.b64decode(match.group(2), validate=True)
        except binascii.Error:
            return match.group(0)
        cid = f"{name}.{len(images) + 1}@{domain}"
        images.append((cid, data, match.group(1)))
        return f'src="cid:{cid}"'

    return _DATA_IMAGE.sub(to_cid, html), images


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "newsroom.localhost"


def compose(newsletter, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The mail for a newsletter: a stored row or a newsletter.render.Rendered (week, subject, html, text).

    multipart/alternative: text/plain, then multipart/related (text/html + the chart as image/png).
    """
    domain = _domain(sender)
    html, images = inline_images(newsletter.html, f"sentiment-{newsletter.week}", domain)
    message = EmailMessage()
    message["Subject"] = newsletter.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"newsletter.{newsletter.week}", domain=domain)
    # Keeps out-of-office replies away from the sender address.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Newsroom-Week"] = newsletter.week
    message.set_content(newsletter.text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    html_part = message.get_payload()[1]
    for number, (cid, data, subtype) in enumerate(images, start=1):
        html_part.add_related(data, "image", subtype, cid=f"<{cid}>", disposition="inline",
                              filename=f"sentiment-{newsletter.week}-{number}.{subtype}")
    return message


def send_message(message: EmailMessage, smtp_url: str, *, sender: str, recipients: list[str]) -> dict:
    """Hand the message to the SMTP server; returns the recipients it refused ({} when all accepted).

    Raises DeliveryFailed when the server cannot be reached, TLS or login fails, or every recipient is
    refused. The message names the server, never the password.
    """
    target = smtp_target(smtp_url)
    try:
        with smtp_connection(target) as client:
            return client.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"SMTP server {target} refused every recipient: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        raise DeliveryFailed(f"SMTP server {target} answered {exc.smtp_code} {reply}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"cannot deliver via SMTP server {target}: {exc.__class__.__name__}: {exc}") from None


def _refusals(refused: dict) -> str:
    return "; ".join(
        f"{address} ({code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply})"
        for address, (code, reply) in refused.items()
    )


@dataclass(frozen=True)
class SendResult:
    week: str
    subject: str
    recipients: list[str]
    refused: dict


def send_week(engine: Engine, config: WatchConfig, settings: Settings, week: str, *, resend: bool = False) -> SendResult:
    """Send one week's newsletter to the configured recipients, exactly once unless `resend`.

    Builds and stores the week first when it was not built yet, or only built before the week was over.
    """
    parse_week(week)
    recipients = list(config.newsletter.recipients)
    if not recipients:
        raise NewsletterError("no recipients: set [newsletter] recipients in the watch configuration")
    if not settings.smtp_url:
        raise NewsletterError("NEWSROOM_SMTP_URL is not set: no mail server to send the newsletter with")
    smtp_target(settings.smtp_url)
    sender = config.newsletter.sender

    with engine.connect() as conn:
        row = get(conn, week)
    if row is not None and row.sent_at is not None and not resend:
        raise AlreadySent(
            f"the newsletter of {week} was already sent on {row.sent_at:%Y-%m-%d %H:%M} UTC; use --resend to send it again"
        )
    if row is None or (row.sent_at is None and not is_complete(row, settings.timezone)):
        build_and_save(engine, config, week, settings.timezone)

    with engine.begin() as conn:
        row = get(conn, week)
        claimed = store.claim(conn, row)
    if not claimed:
        raise NewsletterError(f"the newsletter of {week} is being sent, or was just sent, by another process")

    try:
        refused = send_message(compose(row, sender=sender, recipients=recipients), settings.smtp_url,
                               sender=sender, recipients=recipients)
    except Exception as exc:
        # Not sent: release the claim so the next try sends it.
        with engine.begin() as conn:
            store.release(conn, row, str(exc))
        log.warning("newsletter %s not sent: %s", week, exc)
        raise
    accepted = [address for address in recipients if address not in refused]
    with engine.begin() as conn:
        store.mark_sent(conn, row, accepted, f"refused: {_refusals(refused)}" if refused else None)
    log.info("newsletter %s sent to %d recipient(s)%s", week, len(accepted),
             f", refused: {_refusals(refused)}" if refused else "")
    return SendResult(week=week, subject=row.subject, recipients=accepted, refused=refused)


def due_week(config: WatchConfig, settings: Settings, now: datetime) -> str | None:
    """The week whose newsletter should be out by `now`, or None outside the catch-up window."""
    due = latest_send(now, config.newsletter.send_day, config.newsletter.send_time, settings.timezone)
    if now - due > CATCH_UP:
        return None
    return last_full_week(due, settings.timezone)


def send_due(engine: Engine, config: WatchConfig, settings: Settings, now: datetime | None = None) -> str | None:
    """The scheduler job: send last week's newsletter if it is due and not sent; returns the week sent.

    A failure is logged and left for the next call, which tries again.
    """
    week = due_week(config, settings, now or utcnow())
    if week is None:
        return None
    with engine.connect() as conn:
        sent = store.sent_at(conn, week)
    if sent is not None:
        return None
    try:
        send_week(engine, config, settings, week)
    except AlreadySent:
        return None
    except NewsletterError as exc:
        log.warning("weekly newsletter %s: %s; trying again at the next scheduled check", week, exc)
        return None
    return week

"""Delivery to a real SMTP server on 127.0.0.1: the message, exactly-once sending, failure and retry."""
from __future__ import annotations

import base64
import email
import re
from datetime import datetime
from email.policy import default as email_policy

import pytest
from aiosmtpd.smtp import AuthResult
from newsletter_data import (
    AMSTERDAM,
    PRIVATE_NAMES,
    SECTIONS,
    TEXT_SECTIONS,
    WEEK,
    Page,
    SmtpServer,
)
from sqlalchemy import select, update

from core.store.schema import newsletters
from newsletter.archive import build_and_save, get
from newsletter.deliver import (
    AlreadySent,
    DeliveryFailed,
    NewsletterError,
    compose,
    due_week,
    send_due,
    send_message,
    send_week,
    smtp_target,
)

RECIPIENTS = ["communicatie@gemeente.groningen.nl", "webcare@gemeente.groningen.nl"]
MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=AMSTERDAM)


def parsed(received: dict):
    return email.message_from_bytes(received["data"], policy=email_policy)


def body(message, kind: str) -> str:
    """A text part as written: SMTP carries lines ending in CRLF."""
    return message.get_body((kind,)).get_content().replace("\r\n", "\n")


def test_smtp_urls():
    assert smtp_target("smtp://mail.groningen.nl") == smtp_target("smtp://mail.groningen.nl:25")
    plain = smtp_target("smtp://relay.local:2525")
    assert (plain.host, plain.port, plain.security, plain.user) == ("relay.local", 2525, "plain", "")
    tls = smtp_target("smtp://nieuwsbrief%40groningen.nl:ge%2Fheim@smtp.office365.com:587?starttls=true&timeout=10")
    assert (tls.port, tls.security, tls.user, tls.password, tls.timeout) == \
        (587, "starttls", "nieuwsbrief@groningen.nl", "ge/heim", 10.0)
    assert "ge/heim" not in repr(tls) and str(tls) == "smtp.office365.com:587"
    assert smtp_target("smtp+starttls://nieuwsbrief%40groningen.nl:ge%2Fheim@smtp.office365.com?timeout=10") == tls
    ssl = smtp_target("smtps://user:pw@smtp.example.nl")
    assert (ssl.port, ssl.security) == (465, "ssl")
    for bad, why in (("http://mail", "must look like"), ("smtp://", "must look like"),
                     ("smtp://h?tls=1", "unknown option"), ("smtp://h?timeout=soon", "number of seconds")):
        with pytest.raises(NewsletterError, match=why):
            smtp_target(bad)


def test_sent_once_with_html_text_and_chart(filled, newsroom_config, settings, smtp_server):
    settings = settings.model_copy(update={"smtp_url": smtp_server.url})

    result = send_week(filled, newsroom_config, settings, WEEK)

    assert result.recipients == RECIPIENTS and result.refused == {}
    assert len(smtp_server.inbox.received) == 1
    received = smtp_server.inbox.received[0]
    assert received["from"] == "newsroom@gemeente.groningen.nl" and received["to"] == RECIPIENTS
    message = parsed(received)
    assert message["Subject"] == "Online in Groningen — week 47"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
    ]
    text, html = body(message, "plain"), body(message, "html")
    chart = next(part for part in message.walk() if part.get_content_type() == "image/png")
    cid = chart["Content-ID"].strip("<>")
    assert chart.get_content().startswith(b"\x89PNG") and chart.get_content_disposition() == "inline"
    page = Page(html)
    assert f"cid:{cid}" in page.images and not any(src.startswith("data:") for src in page.images)
    for section in SECTIONS:
        assert section in page.headings
    for section in TEXT_SECTIONS:
        assert f"\n{section}\n" in text
    for name in PRIVATE_NAMES:
        assert name not in html and name not in text

    # What was mailed is what the archive keeps: the stored HTML with its data: chart as the CID part.
    with filled.connect() as conn:
        row = get(conn, WEEK)
    stored_chart = re.search(r'src="data:image/png;base64,([^"]+)"', row.html)
    assert base64.b64decode(stored_chart.group(1)) == chart.get_content()
    assert row.html.replace(stored_chart.group(0), f'src="cid:{cid}"') == html
    assert row.text == text
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None and row.recipients == RECIPIENTS

    # A second send of the same week is refused, and nothing goes out.
    with pytest.raises(AlreadySent, match="already sent"):
        send_week(filled, newsroom_config, settings, WEEK)
    assert send_due(filled, newsroom_config, settings, now=MONDAY_8) is None
    assert len(smtp_server.inbox.received) == 1

    # Unless on purpose: the archived newsletter goes out again.
    send_week(filled, newsroom_config, settings, WEEK, resend=True)
    assert len(smtp_server.inbox.received) == 2
    assert body(parsed(smtp_server.inbox.received[1]), "html") == html
    with filled.connect() as conn:
        assert get(conn, WEEK).attempts == 2


def test_smtp_down_fails_cleanly_and_a_later_retry_sends_once(filled, newsroom_config, settings):
    server = SmtpServer()  # not started: nothing listens on its port
    settings = settings.model_copy(update={"smtp_url": server.url})

    with pytest.raises(DeliveryFailed, match=f"127.0.0.1:{server.port}"):
        send_week(filled, newsroom_config, settings, WEEK)
    with filled.connect() as conn:
        row = get(conn, WEEK)
    assert row.sent_at is None and row.attempts == 1 and f"127.0.0.1:{server.port}" in row.last_error
    # Mark the stored newsletter, built after the week was over, so we can see that it is what goes out.
    with filled.begin() as conn:
        conn.execute(update(newsletters).values(
            html=row.html.replace(">Kerncijfers<", ">Kerncijfers van de week<"),
            built_at=datetime(2026, 11, 23, 7, 0, tzinfo=AMSTERDAM)))

    # The scheduler's job at the send time: still down, recorded, no exception escapes.
    assert send_due(filled, newsroom_config, settings, now=MONDAY_8) is None
    with filled.connect() as conn:
        assert get(conn, WEEK).attempts == 2

    server.start()
    try:
        assert send_due(filled, newsroom_config, settings, now=MONDAY_8.replace(minute=15)) == WEEK
        assert send_due(filled, newsroom_config, settings, now=MONDAY_8.replace(minute=30)) is None
        assert len(server.inbox.received) == 1
    finally:
        server.stop()
    with filled.connect() as conn:
        row = get(conn, WEEK)
        assert conn.execute(select(newsletters.c.week)).scalars().all() == [WEEK]
    assert row.sent_at is not None and row.attempts == 3 and row.last_error is None
    mailed = body(parsed(server.inbox.received[0]), "html")
    assert "Kerncijfers van de week" in Page(mailed).headings, "a retry sends the stored newsletter"


def test_due_week(newsroom_config, settings):
    assert due_week(newsroom_config, settings, MONDAY_8) == WEEK
    assert due_week(newsroom_config, settings, MONDAY_8.replace(hour=7, minute=59)) is None  # last week's is too old
    assert due_week(newsroom_config, settings, datetime(2026, 11, 24, 22, 0, tzinfo=AMSTERDAM)) == WEEK
    assert due_week(newsroom_config, settings, datetime(2026, 11, 25, 9, 0, tzinfo=AMSTERDAM)) is None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_and_refusal(sqlite_engine, newsroom_config, settings):
    def authenticate(server, session, envelope, mechanism, auth_data):
        valid = (auth_data.login, auth_data.password) == (b"nieuwsbrief", b"ge/heim")
        return AuthResult(success=valid, handled=False)  # not handled: the server answers 535 itself

    server = SmtpServer(authenticator=authenticate, auth_required=True, auth_require_tls=False)
    server.start()
    try:
        rendered, _ = build_and_save(sqlite_engine, newsroom_config, "2026-W50", "Europe/Amsterdam")
        message = compose(rendered, sender="newsroom@gemeente.groningen.nl", recipients=RECIPIENTS)
        good = f"smtp://nieuwsbrief:ge%2Fheim@127.0.0.1:{server.port}?timeout=5"
        assert send_message(message, good, sender="newsroom@gemeente.groningen.nl", recipients=RECIPIENTS) == {}
        assert len(server.inbox.received) == 1
        bad = f"smtp://nieuwsbrief:fout@127.0.0.1:{server.port}?timeout=5"
        with pytest.raises(DeliveryFailed, match="535") as failure:
            send_message(message, bad, sender="newsroom@gemeente.groningen.nl", recipients=RECIPIENTS)
        assert "fout" not in str(failure.value)
        assert len(server.inbox.received) == 1
    finally:
        server.stop()


def test_nothing_to_send_without_recipients_or_server(sqlite_engine, newsroom_config, settings):
    with pytest.raises(NewsletterError, match="NEWSROOM_SMTP_URL is not set"):
        send_week(sqlite_engine, newsroom_config, settings, WEEK)
    unaddressed = newsroom_config.model_copy(update={"newsletter": newsroom_config.newsletter.model_copy(
        update={"recipients": []})})
    with pytest.raises(NewsletterError, match="no recipients"):
        send_week(sqlite_engine, unaddressed, settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"}), WEEK)

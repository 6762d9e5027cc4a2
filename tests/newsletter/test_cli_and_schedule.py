"""`newsroom newsletter build|send` on a real store and SMTP server, and the job in the scheduler."""
from __future__ import annotations

import email
from datetime import datetime
from email.policy import default as email_policy

import pytest
from newsletter_data import AMSTERDAM, WATCH_EXTRA, WEEK, Page, fill_store
from typer.testing import CliRunner

from core.config.settings import get_settings
from newsroom.cli import app
from newsroom.jobs import build_scheduler, schedule_newsletter


@pytest.fixture
def cli_env(tmp_path, sqlite_engine, newsroom_config, settings, write_config, smtp_server, monkeypatch):
    """A filled SQLite store and the NEWSROOM_* environment the CLI reads, pointing at the SMTP server."""
    fill_store(sqlite_engine, newsroom_config, settings)
    monkeypatch.setenv("NEWSROOM_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("NEWSROOM_CONFIG", str(write_config(WATCH_EXTRA)))
    monkeypatch.setenv("NEWSROOM_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("NEWSROOM_PSEUDONYM_SALT", "test-salt")
    get_settings.cache_clear()
    yield smtp_server
    get_settings.cache_clear()


def test_build_and_send_from_the_command_line(cli_env, tmp_path):
    runner = CliRunner()
    inbox = cli_env.inbox.received

    page = tmp_path / "week47.html"
    result = runner.invoke(app, ["newsletter", "build", "--week", WEEK, "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert f"Nieuwsbrief {WEEK} gemaakt en bewaard" in result.output
    assert "Kerncijfers" in Page(page.read_text(encoding="utf-8")).headings

    message_file = tmp_path / "week47.eml"
    assert runner.invoke(app, ["newsletter", "build", "--week", WEEK, "--out", str(message_file)]).exit_code == 0
    message = email.message_from_bytes(message_file.read_bytes(), policy=email_policy)
    assert [p.get_content_type() for p in message.walk()][-1] == "image/png"
    assert inbox == [], "building sends nothing"

    result = runner.invoke(app, ["newsletter", "send", "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert "verzonden aan 2 ontvanger(s)" in result.output and len(inbox) == 1

    again = runner.invoke(app, ["newsletter", "send", "--week", WEEK])
    assert again.exit_code == 1 and "already sent" in again.output and "--resend" in again.output
    assert len(inbox) == 1

    # A sent week is not rebuilt: the archive keeps what went out.
    rebuilt = runner.invoke(app, ["newsletter", "build", "--week", WEEK])
    assert rebuilt.exit_code == 0 and "al verzonden" in rebuilt.output

    resent = runner.invoke(app, ["newsletter", "send", "--week", WEEK, "--resend"])
    assert resent.exit_code == 0, resent.output
    assert len(inbox) == 2

    bad = runner.invoke(app, ["newsletter", "send", "--week", "2026-W99"])
    assert bad.exit_code == 2 and "no week 99" in bad.output


def test_scheduler_sends_on_monday_morning_and_retries_every_quarter(sqlite_engine, newsroom_config, settings):
    scheduler = build_scheduler(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"}), newsroom_config,
                                sqlite_engine)
    job = scheduler.get_job("newsletter")
    assert job is not None and job.executor == "work"
    sunday_night = datetime(2026, 11, 22, 23, 50, tzinfo=AMSTERDAM)
    assert job.trigger.get_next_fire_time(None, sunday_night) == datetime(2026, 11, 23, 0, 0, tzinfo=AMSTERDAM)
    before_eight = datetime(2026, 11, 23, 7, 59, tzinfo=AMSTERDAM)
    assert job.trigger.get_next_fire_time(None, before_eight) == datetime(2026, 11, 23, 8, 0, tzinfo=AMSTERDAM)

    # Another send time: the wake-ups move with it, so it is sent at that minute.
    later = newsroom_config.model_copy(update={"newsletter": newsroom_config.newsletter.model_copy(
        update={"send_day": "tue", "send_time": "09:10"})})
    job = build_scheduler(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"}), later,
                          sqlite_engine).get_job("newsletter")
    assert job.trigger.get_next_fire_time(None, datetime(2026, 11, 24, 9, 0, tzinfo=AMSTERDAM)) == \
        datetime(2026, 11, 24, 9, 10, tzinfo=AMSTERDAM)

    # Without a mail server or recipients there is nothing to schedule; a reload takes the job away.
    assert build_scheduler(settings, newsroom_config, sqlite_engine).get_job("newsletter") is None
    scheduler = build_scheduler(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"}), newsroom_config,
                                sqlite_engine)
    unaddressed = newsroom_config.model_copy(update={"newsletter": newsroom_config.newsletter.model_copy(
        update={"recipients": []})})
    schedule_newsletter(scheduler, settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"}), unaddressed,
                        sqlite_engine)
    assert scheduler.get_job("newsletter") is None

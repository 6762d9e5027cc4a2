"""Deliver new alerts (delivered_at IS NULL) to the routes in config.alerts.routes.

- Routing: a route with `themes` gets the alerts of those themes; a route without gets every alert
  (themes, emerging terms and source health).
- Quiet hours (alerts.quiet_hours, "22:00-07:00" local time): nothing is sent but the alerts of
  critical themes (`critical = true` on the theme); what opened in them goes out when they end, minus
  what was resolved meanwhile.
- Cooldown (alerts.cooldown): an alert whose subject (kind + key) already reached people within the
  cooldown is not sent again; it stays visible in the API and on the wall. Nor is an alert sent to
  a target that, within the cooldown, already got an alert about mostly the same posts (one spike
  raises a theme alert and term alerts for its words: people get it once).
- Each target (one e-mail per route, one POST per webhook) is tracked in details["deliveries"]; a
  failed target is retried at the next run, up to MAX_ATTEMPTS, without resending to those that had it.
- Once per target, across processes and hosts: one delivery round runs at a time (a lock in the store,
  released if its process dies), and each attempt is claimed in the store before it is sent. An
  attempt that was claimed but never recorded (the process died between claim and answer) is tried
  again with the same delivery id: the e-mail's Message-ID and X-Newsroom-Delivery header, the
  webhook's Idempotency-Key header and, in the generic JSON, "delivery_id", so a receiver can drop
  the copy.
"""
from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine

from core.config.settings import Settings
from core.config.watch import AlertRoute, WatchConfig, parse_duration
from core.store.alerts import (
    alert_posts,
    pending_alerts,
    recent_deliveries,
    save_delivery,
)
from core.store.locks import exclusive
from core.store.schema import utcnow

from . import messages
from .mail import MailNotConfigured, send_mail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DELIVERY_LOCK = "alerts:deliver"
# An alert is "about the same posts" as an earlier one when at least this share of its posts were in it.
SAME_POSTS = 0.5
WEBHOOK_TIMEOUT = 10.0
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Target:
    id: str  # stable name in the delivery record; never the webhook URL itself (it holds a secret)
    kind: str  # email | webhook
    emails: tuple[str, ...] = ()
    url: str = ""
    format: str = "json"


def quiet_window(spec: str) -> tuple[time, time] | None:
    """'22:00-07:00' -> (22:00, 07:00); '' -> None; ValueError on anything else."""
    if not spec or not spec.strip():
        return None
    match = _QUIET.match(spec)
    if not match:
        raise ValueError(f"alerts.quiet_hours: expected 'HH:MM-HH:MM', got {spec!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"alerts.quiet_hours: not a time of day in {spec!r}")
    return time(h1, m1), time(h2, m2)


def in_quiet_hours(spec: str, local: datetime) -> bool:
    window = quiet_window(spec)
    if window is None:
        return False
    start, end = window
    now = local.time().replace(tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # across midnight


def _webhook_id(url: str, fmt: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    return f"webhook:{fmt}:{urlsplit(url).hostname or '?'}#{digest}"


def targets_for(alert: dict[str, Any], routes: list[AlertRoute]) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for route in routes:
        if route.themes and not (alert["kind"] == "theme" and alert["key"] in route.themes):
            continue
        if route.emails:
            emails = tuple(sorted(set(route.emails)))
            target = Target(id="email:" + ",".join(emails), kind="email", emails=emails)
            targets.setdefault(target.id, target)
        for url in route.webhooks:
            target = Target(id=_webhook_id(url, route.format), kind="webhook", url=url, format=route.format)
            targets.setdefault(target.id, target)
    return targets


def delivery_id(alert: dict[str, Any], target: Target) -> str:
    """The same id for every attempt to send this alert to this target."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"newsroom:alert:{alert['id']}:{alert['opened_at']}:{target.id}"))


def _send(target: Target, alert: dict, posts: list[dict], view: dict, settings: Settings, config: WatchConfig,
          client: httpx.Client, sent_id: str) -> None:
    if target.kind == "email":
        send_mail(settings.smtp_url, messages.email(view, config.newsletter.sender, list(target.emails), sent_id))
        return
    payload = messages.webhook_payload(target.format, view, alert, posts)
    if target.format == "json":
        payload = {**payload, "delivery_id": sent_id}
    response = client.post(target.url, json=payload,
                           headers={"User-Agent": settings.user_agent, "Idempotency-Key": sent_id})
    response.raise_for_status()


def deliver_pending(engine: Engine, config: WatchConfig, settings: Settings, now: datetime | None = None,
                    client: httpx.Client | None = None) -> list[dict[str, Any]]:
    """Send every alert waiting for delivery; returns one report per alert handled."""
    now = now or utcnow()
    tz = ZoneInfo(settings.timezone)
    try:
        quiet = in_quiet_hours(config.alerts.quiet_hours, now.astimezone(tz))
    except ValueError as exc:
        log.error("%s; quiet hours ignored", exc)
        quiet = False
    critical = {theme.name for theme in config.themes if theme.critical}
    if quiet and not critical:
        return []
    # One delivery round at a time across all processes: the cooldown and same-posts checks below
    # read what earlier rounds sent. A round already running elsewhere will send what is pending.
    with exclusive(engine, DELIVERY_LOCK) as mine:
        if not mine:
            return []
        with engine.connect() as conn:
            pending = pending_alerts(conn)
        if quiet:
            pending = [alert for alert in pending if alert["kind"] == "theme" and alert["key"] in critical]
        if not pending:
            return []
        own_client = client is None
        client = client or httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False)
        try:
            return [_deliver(engine, alert, config, settings, now, tz, client) for alert in pending]
        finally:
            if own_client:
                client.close()


def _deliver(engine: Engine, alert: dict, config: WatchConfig, settings: Settings, now: datetime, tz,
             client: httpx.Client) -> dict[str, Any]:
    report: dict[str, Any] = {"id": alert["id"], "sent": [], "failed": [], "skipped": [], "note": None}

    def finish(deliveries: dict, done: bool, note: str | None = None) -> dict:
        with engine.begin() as conn:
            save_delivery(conn, alert["id"], deliveries=deliveries, done=done, now=now, note=note)
        report["note"], report["done"] = note, done
        return report

    deliveries: dict[str, dict] = dict((alert["details"] or {}).get("deliveries", {}))
    if alert["status"] == "resolved":
        return finish(deliveries, True, "afgehandeld vóór verzending")
    cooldown = parse_duration(config.alerts.cooldown)
    with engine.connect() as conn:
        recent = [r for r in recent_deliveries(conn, now - cooldown) if r["id"] != alert["id"]]
        posts = alert_posts(conn, alert["post_ids"] or [])
    if not deliveries:
        earlier = next((r for r in recent if (r["kind"], r["key"]) == (alert["kind"], alert["key"])), None)
        if earlier is not None:
            return finish(deliveries, True, f"binnen de afkoelperiode: signaal #{earlier['id']} ging al uit")
    targets = targets_for(alert, config.alerts.routes)
    if not targets:
        return finish(deliveries, True, "geen route voor dit signaal")
    view = messages.alert_view(alert, posts, config, tz)
    own_posts = set(alert["post_ids"] or [])
    for target in targets.values():
        state = dict(deliveries.get(target.id) or {"ok": False, "attempts": 0})
        if state["ok"] or state.get("skipped") or state["attempts"] >= MAX_ATTEMPTS:
            continue
        same = next((r for r in recent if target.id in r["targets"] and own_posts
                     and len(own_posts & r["post_ids"]) >= SAME_POSTS * len(own_posts)), None)
        if same is not None:
            deliveries[target.id] = {**state, "skipped": f"zelfde berichten als signaal #{same['id']}"}
            report["skipped"].append(target.id)
            continue
        state["attempts"] += 1
        state["at"] = now.isoformat()
        state["delivery_id"] = delivery_id(alert, target)
        # Claimed before it is sent: should this process die before the answer is recorded, the next
        # round sees "sending", counts the attempt and sends again with the same delivery id.
        deliveries[target.id] = {**state, "sending": True}
        with engine.begin() as conn:
            save_delivery(conn, alert["id"], deliveries=deliveries, done=False, now=now)
        state.pop("sending", None)
        try:
            _send(target, alert, posts, view, settings, config, client, state["delivery_id"])
        except MailNotConfigured as exc:
            state.update(ok=False, error=str(exc), attempts=MAX_ATTEMPTS)  # retrying can't help
        except (OSError, httpx.HTTPError, ValueError) as exc:
            # smtplib's errors are OSErrors; a bad address is a ValueError from the e-mail package.
            state.update(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:300])
        else:
            state.update(ok=True, error=None)
        (report["sent"] if state["ok"] else report["failed"]).append(target.id)
        if not state["ok"]:
            log.warning("alert %s to %s failed (attempt %s): %s", alert["id"], target.id, state["attempts"],
                        state["error"])
        deliveries[target.id] = state
    done = all(state.get("ok") or state.get("skipped") or state.get("attempts", 0) >= MAX_ATTEMPTS
               for state in (deliveries.get(t, {}) for t in targets))
    return finish(deliveries, done)

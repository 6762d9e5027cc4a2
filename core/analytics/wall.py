"""The wall's picture of the city: the data of every panel in one dict, computed by the server.

The wall page, its live stream (/api/stream) and the signage feed (/api/wall/dataset) all show this one
state, so a screen, a refreshed screen and a signage player never disagree.

Public screens are seen by visitors: a post's author is shown only when posts.author_public is true,
private individuals never appear, not even as a pseudonym: their @mentions in a post show as "@…".
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, func, select

from core.analytics.emerging import detect, list_alerts
from core.analytics.summary import summary
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.config.watch import WatchConfig
from core.ingest.privacy import without_pseudonyms
from core.store.filters import PostFilter
from core.store.listing import list_posts
from core.store.meta import get_meta, set_meta
from core.store.schema import alerts, crawl_runs, label_corrections, meta, posts, scores, sources, utcnow
from core.vocabulary import CHANNELS

CRISIS_KEY = "wall_crisis"
DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
TICKER_POSTS = 14
TEXT_CHARS = 280
SPARK_THEMES = 12  # more than fit on the themes page
# How long the slow panels of a state may be reused (see wall_state).
SLOW_EVERY = timedelta(seconds=60)
# Without a new post for this long, the wall says so: crawlers may be down.
STALE_AFTER = timedelta(hours=3)
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
FEEDS = ("mood", "posts", "themes", "channels", "alerts")


# --- crisis mode ---------------------------------------------------------------------------------

def get_crisis(conn: Connection) -> dict | None:
    """The crisis the wall is switched to, {"theme", "message", "since", "by"}, or None."""
    value = get_meta(conn, CRISIS_KEY)
    return json.loads(value) if value else None


def set_crisis(conn: Connection, theme: str, message: str = "", *, by: str, now: datetime | None = None) -> dict:
    crisis = {"theme": theme, "message": message, "since": (now or utcnow()).isoformat(), "by": by}
    set_meta(conn, CRISIS_KEY, json.dumps(crisis, ensure_ascii=False))
    return crisis


def clear_crisis(conn: Connection) -> bool:
    """Back to the normal wall; False when no crisis was on."""
    return conn.execute(delete(meta).where(meta.c.key == CRISIS_KEY)).rowcount > 0


# --- the state -----------------------------------------------------------------------------------

def store_version(conn: Connection) -> tuple:
    """A fingerprint that changes when the wall may have changed: a new post, a newly scored post, a
    label corrected, an alert opened or closed, the crisis switched. Only index lookups and the small
    alerts table, so it stays cheap on a store of millions of posts. (Rescoring old posts shows at the next refresh.)"""
    newest_post = conn.execute(select(func.max(posts.c.id))).scalar()
    newest_score = conn.execute(select(func.max(scores.c.post_id))).scalar()
    # A person's label correction changes what the wall shows (scores.label is the corrected label).
    newest_correction = conn.execute(select(func.max(label_corrections.c.id))).scalar()
    open_alerts = conn.execute(
        select(func.count(), func.max(alerts.c.updated_at)).where(alerts.c.status == "open")
    ).one()
    return (newest_post, newest_score, newest_correction, *open_alerts, get_meta(conn, CRISIS_KEY))


def wall_state(conn: Connection, config: WatchConfig, *, tz: str = "Europe/Amsterdam",
               now: datetime | None = None, reuse: dict | None = None) -> dict:
    """Everything the wall shows, in one JSON-ready dict (dashboard/static/wall.js draws it).

    In crisis mode the mood, timelines, channels and ticker show only the crisis theme's posts.

    The slow panels (themes and emerging issues, the week charts, source health: most of the cost on a
    large store) are taken from `reuse`, a state computed less than SLOW_EVERY ago for the same crisis,
    so a busy store can refresh the fast panels every few seconds.
    """
    now = now or utcnow()
    zone = ZoneInfo(tz)
    crisis = get_crisis(conn)
    if crisis:
        theme = next((t for t in config.themes if t.name == crisis["theme"]), None)
        crisis = {**crisis, "title": theme.title if theme else crisis["theme"], "page": theme.page if theme else None,
                  "since_time": _clock(datetime.fromisoformat(crisis["since"]), zone, now)}
    scope = PostFilter(theme=crisis["theme"]) if crisis else PostFilter()

    mood = summary(conn, scope, window=DAY, now=now)
    channels = []
    for channel in CHANNELS:
        figures = summary(conn, scope.replace(channel=channel), window=DAY, now=now)
        channels.append({"channel": channel, **_figures(figures)})
    newest = conn.execute(select(posts.c.fetched_at).order_by(posts.c.id.desc()).limit(1)).scalar()

    state: dict[str, Any] = {
        "city": config.watch.city,
        "generated_at": now.isoformat(),
        "updated": now.astimezone(zone).strftime("%H:%M:%S"),
        "timezone": zone.key,
        "mode": "crisis" if crisis else "normal",
        "crisis": crisis,
        "mood": _mood(mood),
        "channels": channels,
        "timeline": {"day": _timeline(timeline(conn, scope, window=DAY, bucket="hour", now=now, tz=zone), zone)},
        "alerts": [_alert(alert, zone, now) for alert in list_alerts(conn, status="open", limit=5)],
        "posts": [_post(p, zone, now) for p in list_posts(conn, scope.replace(until=now + timedelta(minutes=5)),
                                                          limit=TICKER_POSTS)["items"]],
        "freshness": {
            "latest_post_at": newest.isoformat() if newest else None,
            "latest_post": _clock(newest, zone, now) if newest else None,
            "stale": newest is None or now - newest > STALE_AFTER,
        },
    }
    if (reuse and reuse.get("slow_at") and reuse["mode"] == state["mode"]
            and (reuse["crisis"] or {}).get("theme") == (crisis or {}).get("theme")
            and timedelta(0) <= now - datetime.fromisoformat(reuse["slow_at"]) < SLOW_EVERY):
        slow = {key: reuse[key] for key in ("themes", "terms", "sources", "slow_at")}
        slow["timeline"] = {key: reuse["timeline"][key] for key in ("week", "week_channels")}
    else:
        slow = _slow_panels(conn, config, scope, crisis, zone, now)
    state["timeline"].update(slow.pop("timeline"))
    state.update(slow)
    return state


def _slow_panels(conn: Connection, config: WatchConfig, scope: PostFilter, crisis: dict | None,
                 zone: ZoneInfo, now: datetime) -> dict:
    issues = detect(conn, config, now, tz=zone)
    emerging = {issue["key"]: issue for issue in issues if issue["kind"] == "theme"}
    themes = []
    for item in theme_stats(conn, config.themes, window=DAY, now=now)["themes"]:
        themes.append({
            **item,
            "trend": _trend(item["posts"], item["previous_posts"]),
            "emerging": _issue(emerging[item["name"]]) if item["name"] in emerging else None,
            "crisis": bool(crisis and crisis["theme"] == item["name"]),
        })
    # Crisis and emerging themes first, then the busiest.
    themes.sort(key=lambda t: (not t["crisis"], t["emerging"] is None, -t["posts"], t["name"]))
    for item in themes[:SPARK_THEMES]:
        hourly = timeline(conn, PostFilter(theme=item["name"]), window=DAY, bucket="hour", now=now, tz=zone)
        item["spark"] = [sum(bucket["counts"].values()) for bucket in hourly["buckets"]]
    return {
        "themes": themes,
        "terms": [_issue(issue) for issue in issues if issue["kind"] == "term"],
        "timeline": {
            "week": _timeline(timeline(conn, scope, window=WEEK, bucket="hour", now=now, tz=zone), zone),
            "week_channels": _timeline(
                timeline(conn, scope, window=WEEK, bucket="day", by="channel", now=now, tz=zone), zone),
        },
        "sources": source_problems(conn),
        "slow_at": now.isoformat(),
    }


def source_problems(conn: Connection) -> dict:
    """Enabled sources whose last crawl failed: one statement, one index step per source
    (ix_crawl_runs_source_id), however many runs a year of crawling left."""
    last_status = (select(crawl_runs.c.status).where(crawl_runs.c.source_id == sources.c.id)
                   .order_by(crawl_runs.c.id.desc()).limit(1).scalar_subquery())
    enabled = conn.execute(select(sources.c.name, last_status.label("status")).where(sources.c.enabled.is_(True))
                           .order_by(sources.c.name)).all()
    return {"total": len(enabled), "failing": [name for name, status in enabled if status == "failed"]}


def _figures(figures: dict) -> dict:
    """Summary figures as the wall shows them: volume (posts, stories, other languages) and the mood of
    the scored stories with its sample (core.analytics.summary)."""
    keep = ("posts", "stories", "negative", "neutral", "positive", "unscored", "other_language", "scored",
            "sample", "shares", "net_sentiment", "interval", "margin", "low_sample", "change")
    return {key: figures[key] for key in keep if key in figures}


def _mood(figures: dict) -> dict:
    mood = {**_figures(figures), "previous": _figures(figures["previous"])}
    if mood["net_sentiment"] is None or mood["previous"]["net_sentiment"] is None:
        mood["change"] = {**mood["change"], "net_sentiment": None}
    return mood


def _trend(posts_now: int, posts_before: int) -> str:
    """up / down / flat: a change of at least 3 posts and 20 %, so noise doesn't make arrows."""
    change = posts_now - posts_before
    if abs(change) < 3 or abs(change) < 0.2 * max(posts_before, 1):
        return "flat"
    return "up" if change > 0 else "down"


def _issue(issue: dict) -> dict:
    keep = ("kind", "key", "title", "window", "trigger", "posts", "expected", "growth", "negative", "net_sentiment")
    return {key: issue.get(key) for key in keep}


def _alert(alert: dict, zone: ZoneInfo, now: datetime) -> dict:
    opened = datetime.fromisoformat(alert["opened_at"])
    return {
        "id": alert["id"],
        "kind": alert["kind"],
        "key": alert["key"],
        "title": alert["title"],
        "severity": alert["severity"],
        "page": alert["page"],
        "opened_at": alert["opened_at"],
        "since": _clock(opened, zone, now),
        "posts": len(alert["post_ids"] or []),
    }


def _post(post: dict, zone: ZoneInfo, now: datetime) -> dict:
    published = datetime.fromisoformat(post["published_at"])
    return {
        "id": post["id"],
        "channel": post["channel"],
        "source": post["source"],
        "published_at": post["published_at"],
        "time": _clock(published, zone, now),
        # Mentions of private people are pseudonyms in the store; the wall shows them as "@…".
        "title": _shorten(without_pseudonyms(post["title"] or ""), 160),
        "text": _shorten(without_pseudonyms(post["text"] or ""), TEXT_CHARS),
        "label": post["label"],
        # Unscored in another language (the platform's tag until the scorer has detected it).
        "other_language": post["label"] is None and not (post["lang"] or "nl").lower().startswith("nl"),
        # Privacy: public accounts by name; private individuals not at all.
        "author": post["author"] if post["author_public"] else None,
        "themes": post["themes"],
    }


def _timeline(result: dict, zone: ZoneInfo) -> dict:
    buckets = []
    for bucket in result["buckets"]:
        start = datetime.fromisoformat(bucket["start"]).astimezone(zone)
        buckets.append({
            "start": bucket["start"],
            "hour": start.hour,
            "day": f"{WEEKDAYS[start.weekday()]} {start.day}",
            "counts": bucket["counts"],
        })
    return {"bucket": result["bucket"], "by": result["by"], "keys": result["keys"], "buckets": buckets}


def _clock(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'14:32' today, 'di 14:32' within the week, '3-11 14:32' before that (local time)."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if today - local.date() < timedelta(days=6):
        return f"{WEEKDAYS[local.weekday()]} {local:%H:%M}"
    return f"{local.day}-{local.month} {local:%H:%M}"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


# --- the signage feed ----------------------------------------------------------------------------

def dataset(state: dict, feed: str) -> list[dict]:
    """One panel of the wall state as a flat list of flat rows: what a signage CMS (Xibo's Remote
    DataSet, Screenly, ...) can poll and map to columns."""
    if feed == "mood":
        mood = state["mood"]
        return [{
            "city": state["city"], "updated": state["updated"], "mode": state["mode"],
            "posts": mood["posts"], "net_sentiment": mood["net_sentiment"],
            "net_sentiment_change": mood["change"]["net_sentiment"], "posts_change": mood["change"]["posts"],
            "negative_pct": mood["shares"]["negative"], "neutral_pct": mood["shares"]["neutral"],
            "positive_pct": mood["shares"]["positive"], "low_sample": mood["low_sample"],
            "stories": mood["stories"], "sample": mood["sample"], "margin": mood["margin"],
            "other_language": mood["other_language"],
            "crisis_theme": state["crisis"]["title"] if state["crisis"] else None,
            "alert": state["alerts"][0]["title"] if state["alerts"] else None,
        }]
    if feed == "posts":
        return [{key: post[key] for key in ("id", "time", "published_at", "channel", "source", "title", "text",
                                            "label", "author")} for post in state["posts"]]
    if feed == "themes":
        return [{
            "theme": t["name"], "title": t["title"], "posts": t["posts"], "previous_posts": t["previous_posts"],
            "trend": t["trend"], "net_sentiment": t["net_sentiment"], "emerging": t["emerging"] is not None,
            "emerging_title": t["emerging"]["title"] if t["emerging"] else None, "page": t["page"],
        } for t in state["themes"]]
    if feed == "channels":
        return [{
            "channel": c["channel"], "posts": c["posts"], "net_sentiment": c["net_sentiment"],
            "negative_pct": c["shares"]["negative"], "neutral_pct": c["shares"]["neutral"],
            "positive_pct": c["shares"]["positive"], "low_sample": c["low_sample"],
        } for c in state["channels"]]
    if feed == "alerts":
        return [{key: alert[key] for key in ("id", "title", "severity", "since", "opened_at", "page", "posts")}
                for alert in state["alerts"]]
    raise ValueError(f"feed must be one of {', '.join(FEEDS)}, got {feed!r}")

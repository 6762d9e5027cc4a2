"""One week's newsletter as data: everything the templates show, read from the store.

The figures come from the analytics in core (summary, timeline, themes, opinion makers, stories) and
the alerts the emerging-issues job opened during the week. Only what is newsletter-specific is read
here: the images of the most engaging posts and the most positive and most negative quotes.

Authors are shown the way the wall shows them: public accounts by name, private people only as a
pseudonym (core.authors.pseudonym). Links are kept only when they are absolute http(s) URLs, so no
`javascript:` link from a crawled page can end up in a mail.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from core.analytics.authors import opinion_makers, pseudonym
from core.analytics.stories import story_counts, top_stories
from core.analytics.summary import MIN_SAMPLE, figures, label_counts
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.config.watch import WatchConfig
from core.store.filters import CHANNELS, PostFilter
from core.store.schema import alerts, posts, scores, sources

from .chart import day_label, trend_png
from .weeks import (
    MONTHS,
    WEEKDAYS,
    parse_week,
    period_label,
    previous_week,
    week_range,
    zone,
)

CHANNEL_NAMES = {"news": "Nieuws", "forum": "Fora", "social": "Sociale media"}
LABEL_NAMES = {"negative": "negatief", "neutral": "neutraal", "positive": "positief", None: "nog niet gescoord"}
TOP_THEMES = 6
TOP_AUTHORS = 5
TOP_STORIES = 5
IMAGES = 4
QUOTES = 2
EXAMPLES = 2
QUIET_POSTS = 10
EXCERPT = 280
MIN_QUOTE_CHARS = 40

_engagement = func.coalesce(posts.c.likes, 0) + func.coalesce(posts.c.reposts, 0) + func.coalesce(posts.c.replies, 0)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, else None (no javascript:, data: or relative links)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def shorten(text: str | None, limit: int = EXCERPT) -> str:
    """Whitespace collapsed, cut on a word boundary with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:–- ")
    return cut + " …"


def author_name(public: bool, author: str | None, author_id: str | None) -> str | None:
    """Public accounts by name; private people only as the same pseudonym the opinion makers show."""
    if public:
        return author or author_id
    key = author_id or author
    return pseudonym(key) if key else None


def _percent_change(current: int, before: int) -> int | None:
    return round(100 * (current - before) / before) if before else None


def _week_figures(conn: Connection, since: datetime, until: datetime, before: tuple[datetime, datetime],
                  channel: str | None = None) -> dict:
    current = figures(label_counts(conn, PostFilter(channel=channel, since=since, until=until)))
    prior = figures(label_counts(conn, PostFilter(channel=channel, since=before[0], until=before[1])))
    net_change = None
    if current["net_sentiment"] is not None and prior["net_sentiment"] is not None:
        net_change = round(current["net_sentiment"] - prior["net_sentiment"], 1)
    current["previous"] = prior
    current["change"] = {
        "posts": current["posts"] - prior["posts"],
        "posts_percent": _percent_change(current["posts"], prior["posts"]),
        "net_sentiment": net_change,
    }
    return current


def _local_time(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1][:3]}, {local:%H:%M}"


def _post_query():
    return (
        select(
            posts.c.id, posts.c.url, posts.c.thread_url, posts.c.title, posts.c.text, posts.c.author,
            posts.c.author_id, posts.c.author_public, posts.c.channel, posts.c.image_url, posts.c.published_at,
            posts.c.likes, posts.c.reposts, posts.c.replies, _engagement.label("engagement"),
            sources.c.name.label("source"), scores.c.label, scores.c.negative, scores.c.positive,
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
    )


def _post(row, tz: ZoneInfo) -> dict:
    return {
        "id": row.id,
        "url": safe_url(row.url) or safe_url(row.thread_url),
        "title": shorten(row.title, 160) or None,
        "excerpt": shorten(row.text),
        "author": author_name(row.author_public, row.author, row.author_id),
        "source": row.source,
        "channel": row.channel,
        "channel_name": CHANNEL_NAMES.get(row.channel, row.channel),
        "published": _local_time(row.published_at, tz),
        "label": row.label,
        "label_name": LABEL_NAMES.get(row.label, row.label),
        "engagement": int(row.engagement or 0),
        "image_url": safe_url(row.image_url),
    }


def _trend(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo, quiet: bool) -> dict:
    days = []
    for bucket in timeline(conn, PostFilter(since=since, until=until), bucket="day", by="label", tz=tz)["buckets"]:
        counts = bucket["counts"]
        total = sum(counts.values())
        net = round(100 * (counts.get("positive", 0) - counts.get("negative", 0)) / total, 1) if total else None
        days.append({"start": bucket["start"], "label": day_label(bucket["start"]), "counts": counts,
                     "posts": total, "net_sentiment": net})
    alt = "Berichten per dag: " + "; ".join(
        f"{day['label']}: {day['posts']}" + (f" (netto {day['net_sentiment']:+.0f})" if day["posts"] else "")
        for day in days
    )
    # A quiet week gets no chart: bars of one or two posts would suggest a trend that is not there.
    return {"days": days, "png": None if quiet else trend_png(days), "alt": alt}


def _emerging(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    """The alerts the emerging-issues job opened in the week, one entry per theme or term."""
    rows = conn.execute(
        select(alerts).where(alerts.c.opened_at >= since, alerts.c.opened_at < until).order_by(alerts.c.opened_at)
    ).all()
    issues: dict[tuple[str, str], dict] = {}
    for row in rows:
        details = row.details or {}
        growth = details.get("negative_growth") if details.get("trigger") == "negative" else details.get("growth")
        issue = issues.get((row.kind, row.key))
        if issue is None:
            issue = issues[(row.kind, row.key)] = {
                "kind": row.kind, "key": row.key, "title": row.title, "page": safe_url(row.page),
                "first_opened": _local_time(row.opened_at, tz), "alerts": 0, "growth": growth,
                "posts": details.get("posts"), "trigger": details.get("trigger"), "severity": row.severity,
                "net_sentiment": details.get("net_sentiment"), "top_terms": details.get("top_terms") or [],
                "post_ids": [],
            }
        issue["alerts"] += 1
        if growth is not None and (issue["growth"] is None or growth > issue["growth"]):
            issue.update(growth=growth, title=row.title, posts=details.get("posts"),
                         net_sentiment=details.get("net_sentiment"), trigger=details.get("trigger"))
        issue["post_ids"].extend(pid for pid in (row.post_ids or []) if pid not in issue["post_ids"])
    result = sorted(issues.values(), key=lambda i: (-(i["growth"] or 0), -(i["posts"] or 0), i["key"]))
    for issue in result:
        ids = issue.pop("post_ids")
        examples = conn.execute(
            _post_query().where(posts.c.id.in_(ids)).order_by(_engagement.desc(), posts.c.published_at.desc())
            .limit(EXAMPLES)
        ).all() if ids else []
        issue["examples"] = [_post(row, tz) for row in examples]
    return result


def _images(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    rows = conn.execute(
        _post_query()
        .where(posts.c.published_at >= since, posts.c.published_at < until, posts.c.image_url.is_not(None),
               posts.c.image_url != "")
        .order_by(_engagement.desc(), posts.c.published_at.desc(), posts.c.id)
        .limit(IMAGES * 5)
    ).all()
    images, seen = [], set()
    for row in rows:
        post = _post(row, tz)
        if post["image_url"] and post["image_url"] not in seen:
            seen.add(post["image_url"])
            images.append(post)
        if len(images) == IMAGES:
            break
    return images


def _quotes(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo, label: str) -> list[dict]:
    """The posts the model is surest are `label`, longer ones first so a quote says something."""
    probability = scores.c[label]
    rows = conn.execute(
        _post_query()
        .where(posts.c.published_at >= since, posts.c.published_at < until, scores.c.label == label)
        .order_by((func.length(posts.c.text) >= MIN_QUOTE_CHARS).desc(), probability.desc(), _engagement.desc(),
                  posts.c.id)
        .limit(QUOTES)
    ).all()
    return [_post(row, tz) for row in rows]


def _quiet_posts(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    rows = conn.execute(
        _post_query().where(posts.c.published_at >= since, posts.c.published_at < until)
        .order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(QUIET_POSTS)
    ).all()
    return [_post(row, tz) for row in rows]


def subject(config: WatchConfig, week: str) -> str:
    year, number = parse_week(week)
    try:
        return config.newsletter.subject.format(city=config.watch.city, week=number, year=year)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"newsletter.subject {config.newsletter.subject!r} cannot be filled in ({exc!r}); "
            "use {city}, {week} and {year}"
        ) from None


def build_week(conn: Connection, config: WatchConfig, week: str, tz: str | ZoneInfo = "Europe/Amsterdam") -> dict:
    """Everything one ISO week's newsletter shows, with the change against the week before.

    A week with fewer than core.summary.MIN_SAMPLE posts is `quiet`: it gets its counts and its posts,
    and no chart or rankings that would make a handful of posts look like a trend.
    """
    local = zone(tz)
    year, number = parse_week(week)
    since, until = week_range(week, local)
    before = week_range(previous_week(week), local)
    window = PostFilter(since=since, until=until)

    total = _week_figures(conn, since, until, before)
    quiet = total["posts"] < MIN_SAMPLE
    channels = [
        {"channel": channel, "name": CHANNEL_NAMES[channel], **_week_figures(conn, since, until, before, channel)}
        for channel in CHANNELS
    ]
    base_url = config.newsletter.base_url.rstrip("/")
    data = {
        "week": week,
        "year": year,
        "number": number,
        "period": period_label(week),
        "previous_week": previous_week(week),
        "since": since.isoformat(),
        "until": until.isoformat(),
        "timezone": local.key,
        "city": config.watch.city,
        "subject": subject(config, week),
        "web_url": f"{base_url}/newsletters/{week}",
        "privacy_url": f"{base_url}/privacy",
        "quiet": quiet,
        "min_sample": MIN_SAMPLE,
        "figures": total,
        "channels": channels,
        "stories_count": story_counts(conn, window),
        "trend": _trend(conn, since, until, local, quiet),
    }
    if quiet:
        data.update(emerging=[], themes=[], opinion_makers=[], stories=[], images=[],
                    quotes={"positive": [], "negative": []}, posts=_quiet_posts(conn, since, until, local))
        return data

    themes = theme_stats(conn, config.themes, window)["themes"]
    makers = opinion_makers(conn, window, limit=TOP_AUTHORS)["items"]
    stories = top_stories(conn, window, limit=TOP_STORIES, min_posts=2)["items"]
    for story in stories:
        story["first_url"] = safe_url(story["first_url"])
    for theme in themes:
        theme["page"] = safe_url(theme["page"])
    data.update(
        emerging=_emerging(conn, since, until, local),
        themes=[theme for theme in themes if theme["posts"]][:TOP_THEMES],
        opinion_makers=makers,
        stories=stories,
        images=_images(conn, since, until, local),
        quotes={label: _quotes(conn, since, until, local, label) for label in ("positive", "negative")},
        posts=[],
    )
    return data

"""One week's newsletter as data: everything the templates show, read from the store.

The figures come from the analytics in core (summary, timeline, themes, opinion makers, stories) and
the alerts the emerging-issues job opened during the week. Only what is newsletter-specific is read
here (through core.analytics.highlights): the images of the most engaging posts and the most positive
and most negative quotes.

Authors are shown as the opinion makers show them: public accounts by name, private people only as a
pseudonym (core.analytics.authors.pseudonym); the wall, unlike the newsletter, shows no private people at
all. Links are kept only when they are absolute http(s) URLs, so no
`javascript:` link from a crawled page can end up in a mail.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from core.analytics import highlights
from core.analytics.authors import opinion_makers, pseudonym
from core.analytics.stories import story_counts, top_stories
from core.analytics.summary import MIN_SAMPLE, figures, label_counts
from core.analytics.themes import theme_stats
from core.analytics.timeline import timeline
from core.config.watch import WatchConfig
from core.store.filters import PostFilter
from core.store.workspace import newsletter_edit
from core.vocabulary import CHANNELS, LABELS, channel_name, label_name

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

TOP_THEMES = 6
# Said once in every newsletter (HTML and text alike): the figures are what is said online, not the city.
SILENT_MAJORITY = ("Wie online schrijft is niet heel {city}: de meeste inwoners zeggen online niets, dus deze cijfers "
                   "laten zien wat er gezegd wordt, niet wat de stad vindt.")
TOP_AUTHORS = 5
TOP_STORIES = 5
IMAGES = 4
QUOTES = 2
EXAMPLES = 2
QUIET_POSTS = 10
EXCERPT = 280
MIN_QUOTE_CHARS = 40


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
    if not current["low_sample"] and not prior["low_sample"]:
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


def _post(row, tz: ZoneInfo) -> dict:
    return {
        "id": row.id,
        "url": safe_url(row.url) or safe_url(row.thread_url),
        "title": shorten(row.title, 160) or None,
        "excerpt": shorten(row.text),
        "author": author_name(row.author_public, row.author, row.author_id),
        "source": row.source,
        "channel": row.channel,
        "channel_name": channel_name(row.channel, capital=True),
        "published": _local_time(row.published_at, tz),
        "label": row.label,
        "label_name": label_name(row.label),
        "engagement": int(row.engagement or 0),
        "image_url": safe_url(row.image_url),
    }


def _trend(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo, quiet: bool) -> dict:
    days = []
    for bucket in timeline(conn, PostFilter(since=since, until=until), bucket="day", by="label", tz=tz)["buckets"]:
        counts = bucket["counts"]
        total = sum(counts.values())
        # A day's net over its scored posts (the chart shows posts, not stories).
        scored = sum(counts.get(label, 0) for label in LABELS)
        net = round(100 * (counts.get("positive", 0) - counts.get("negative", 0)) / scored, 1) if scored else None
        days.append({"start": bucket["start"], "label": day_label(bucket["start"]), "counts": counts,
                     "posts": total, "net_sentiment": net})
    alt = "Berichten per dag: " + "; ".join(
        f"{day['label']}: {day['posts']}" + (f" (netto {day['net_sentiment']:+.0f})" if day["net_sentiment"] is not None else "")
        for day in days
    )
    # A quiet week gets no chart: bars of one or two posts would suggest a trend that is not there.
    return {"days": days, "png": None if quiet else trend_png(days), "alt": alt}


def _emerging(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    """The alerts the emerging-issues job opened in the week, one entry per theme or term."""
    rows = highlights.alerts_opened(conn, since, until)
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
        examples = highlights.most_engaging(conn, ids, EXAMPLES)
        issue["examples"] = [_post(row, tz) for row in examples]
    return result


def _images(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo, exclude: frozenset[int] = frozenset()) -> list[dict]:
    rows = highlights.with_images(conn, since, until, IMAGES * 5 + len(exclude))
    images, seen = [], set()
    for row in rows:
        if row.id in exclude:
            continue
        post = _post(row, tz)
        if post["image_url"] and post["image_url"] not in seen:
            seen.add(post["image_url"])
            images.append(post)
        if len(images) == IMAGES:
            break
    return images


def _quotes(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo, label: str,
            exclude: frozenset[int] = frozenset()) -> list[dict]:
    """The posts the model is surest are `label`, longer ones first so a quote says something."""
    rows = highlights.surest(conn, since, until, label, QUOTES + len(exclude), MIN_QUOTE_CHARS)
    return [_post(row, tz) for row in rows if row.id not in exclude][:QUOTES]


def _pin(conn: Connection, data: dict, pinned: list[int], exclude: frozenset[int], tz: ZoneInfo) -> None:
    """The adviser's pinned posts (workspace /nieuwsbrief) first among the quotes of their label and,
    with an image, among the images."""
    for row in reversed(highlights.most_engaging(conn, [i for i in pinned if i not in exclude], len(pinned))):
        post = _post(row, tz)
        if post["label"] in data["quotes"]:
            others = [q for q in data["quotes"][post["label"]] if q["id"] != post["id"]]
            data["quotes"][post["label"]] = [post, *others][:QUOTES]
        if post["image_url"]:
            data["images"] = [post, *(i for i in data["images"] if i["id"] != post["id"])][:IMAGES]


def _quiet_posts(conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    rows = highlights.latest(conn, since, until, QUIET_POSTS)
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
    # The adviser's intro and the posts left out or pinned (workspace /nieuwsbrief).
    edit = newsletter_edit(conn, week)
    exclude = frozenset(edit["excluded"])
    before = week_range(previous_week(week), local)
    window = PostFilter(since=since, until=until)

    total = _week_figures(conn, since, until, before)
    quiet = total["posts"] < MIN_SAMPLE
    channels = [
        {"channel": channel, "name": channel_name(channel, capital=True), **_week_figures(conn, since, until, before, channel)}
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
        "silent_majority": SILENT_MAJORITY.format(city=config.watch.city),
        "figures": total,
        "channels": channels,
        "stories_count": story_counts(conn, window),
        "trend": _trend(conn, since, until, local, quiet),
        "intro": edit["intro"],
    }
    if quiet:
        data.update(emerging=[], themes=[], opinion_makers=[], stories=[], images=[],
                    quotes={"positive": [], "negative": []},
                    posts=[p for p in _quiet_posts(conn, since, until, local) if p["id"] not in exclude])
        return data

    themes = theme_stats(conn, config.themes, window)["themes"]
    makers = opinion_makers(conn, window, limit=TOP_AUTHORS, aliases=config.privacy.aliases)["items"]
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
        images=_images(conn, since, until, local, exclude),
        quotes={label: _quotes(conn, since, until, local, label, exclude) for label in ("positive", "negative")},
        posts=[],
    )
    for issue in data["emerging"]:
        issue["examples"] = [p for p in issue["examples"] if p["id"] not in exclude]
    _pin(conn, data, edit["pinned"], exclude, local)
    return data

"""Emerging issues and alerts: themes and new terms whose volume rises well above their own baseline.

Each theme is compared with itself, in stories (syndicated copies of one story count once, at their
first appearance; a story is negative when most of its copies are): its stories and its negative
stories since each moment of the last six hours against what that time normally holds, the strongest
evidence counting. "Normally" knows the rhythm of the day and the week in local time (a profile of the
28 days before, the day's own level so far) and a rise must be of some size (`alerts.min_posts`
stories, as many above normal) and significant (`alerts.significance`): core.analytics.signals holds
the test, which benchmarks/signals_backtest.py replays.
Words that suddenly appear in many posts of the last hour are issues of kind "term".

run_alerts() turns issues into rows of the alerts table, at most one per theme or term per cooldown.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, desc, func, insert, select

from core.analytics.signals import CITY_TIME, DAY, LOOKBACK, SEASON_DAYS, Evidence, Seasonal, count, strongest
from core.config.watch import Alerts, WatchConfig, parse_duration
from core.matching import fold
from core.store.alerts import OPENING_ALERTS
from core.store.filters import PostFilter
from core.store.locks import serialise
from core.store.schema import alerts, post_themes, posts, scores, utcnow

# Term detection: the last hour's words against the 24 hours before.
TERM_RECENT = timedelta(hours=1)
TERM_BASELINE = timedelta(hours=24)
MAX_POST_IDS = 50
TOP_TERMS = 5
MAX_TERM_ISSUES = 5
# Posts read for term detection: enough for a busy day, bounded so the job stays quick.
TERM_SAMPLE = 20000

_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_URL = re.compile(r"https?://\S+|www\.\S+")
STOPWORDS = frozenset("""
aan aangezien achter af al alle alleen als alsnog altijd ander andere anders ben bij binnen boven bovendien
daar daarna daarom dan dat de deze die dit doch doen door dus een eens en er erg even geen geweest haar had
heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je jij jou jouw kan kon kunnen laat maar
me meer men met mij mijn moet na naar niet niets nog nou nu of om omdat ons onze ook op over reeds te tegen
toch toen tot u uit uw van veel voor want waren was wat we wel werd wie wij wil worden wordt zal ze zei zelf
zich zij zijn zo zonder zou zouden zullen deze dezelfde elke ieder iedere jullie heel hele gaat gaan gaan
komt komen kwam worden waar wanneer welke omdat tussen onder sinds tijdens vanaf vandaag gisteren morgen
steeds weer echt gewoon wel even ongeveer procent jaar jaren week dagen uur minuten nieuwe nieuw eerste
mensen gemeente stad https http html www zegt zeggen volgens volgende vorige maand maanden
weken dag nieuws bericht berichten
""".split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(fold(_URL.sub(" ", text or ""))) if w not in STOPWORDS}


def _net(pos: int, neg: int, total: int) -> float | None:
    return round(100 * (pos - neg) / total, 1) if total else None


# --- the store's side --------------------------------------------------------------------------------

@dataclass
class _ThemeStories:
    """A theme's stories in the read period: first-appearance times (sorted), and per story its posts."""
    times: list[datetime]
    negative_times: list[datetime]
    stories: dict[int, dict]  # story key -> {"first", "posts", "label"}


def _majority(labels: list[str | None]) -> str | None:
    """The label most copies carry (unscored copies do not vote); a tie goes to the first copy's label."""
    scored = [label for label in labels if label]
    if not scored:
        return None
    counts = Counter(scored).most_common()
    tied = {label for label, n in counts if n == counts[0][1]}
    return next(label for label in scored if label in tied)


def _theme_stories(conn: Connection, conditions, since: datetime, until: datetime) -> dict[str, _ThemeStories]:
    """{theme: its stories published in [since, until)}, a post without a story being its own story."""
    story = func.coalesce(posts.c.story_id, -posts.c.id)
    rows = conn.execute(
        select(post_themes.c.theme, story.label("story"), posts.c.published_at, scores.c.label)
        .select_from(post_themes)
        .join(posts, posts.c.id == post_themes.c.post_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.published_at >= since, posts.c.published_at < until, *conditions)
        .order_by(posts.c.published_at, posts.c.id)
    )
    grouped: dict[str, dict[int, dict]] = {}
    for theme, key, published_at, label in rows:
        entry = grouped.setdefault(theme, {}).setdefault(key, {"first": published_at, "posts": 0, "labels": []})
        entry["posts"] += 1
        entry["labels"].append(label)
    result = {}
    for theme, stories in grouped.items():
        for entry in stories.values():
            entry["label"] = _majority(entry.pop("labels"))
        result[theme] = _ThemeStories(
            times=sorted(e["first"] for e in stories.values()),
            negative_times=sorted(e["first"] for e in stories.values() if e["label"] == "negative"),
            stories=stories,
        )
    return result


def _recent_posts(conn: Connection, conditions, since: datetime, until: datetime, theme: str | None = None,
                  limit: int = MAX_POST_IDS):
    query = (
        select(posts.c.id, posts.c.title, posts.c.text, scores.c.label)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.published_at >= since, posts.c.published_at < until, *conditions)
    )
    if theme is not None:
        query = query.where(posts.c.id.in_(select(post_themes.c.post_id).where(post_themes.c.theme == theme)))
    return conn.execute(query.order_by(desc(posts.c.published_at), desc(posts.c.id)).limit(limit)).all()


def _top_terms(rows, exclude: set[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(_words(f"{row.title or ''} {row.text}") - exclude)
    return [term for term, n in counts.most_common(TOP_TERMS) if n > 1] or [t for t, _ in counts.most_common(3)]


def _fires(recent: int, expected: float, sensitivity: float, min_posts: int) -> bool:
    return recent >= min_posts and recent >= sensitivity * max(expected, 1.0)


def _growth(recent: int, expected: float) -> float | None:
    return round(recent / expected, 1) if expected > 0 else None


def _tally(stories: dict[int, dict], since: datetime, until: datetime) -> Counter:
    """Stories first seen in [since, until): how many, their posts, and how many negative and positive."""
    tally: Counter[str] = Counter()
    for entry in stories.values():
        if since <= entry["first"] < until:
            tally["stories"] += 1
            tally["posts"] += entry["posts"]
            if entry["label"] in ("negative", "positive"):
                tally[entry["label"]] += 1
    return tally


def _theme_issue(conn, conditions, theme, found: _ThemeStories, now: datetime, history_start: datetime,
                 settings: Alerts, theme_words: set[str], tz: ZoneInfo, since: datetime | None) -> dict | None:
    """The theme's issue now, or None when neither its stories nor its negative stories rise (since
    `since`, the theme's last alert, when given)."""
    all_stories = Seasonal(found.times, history_start, tz)
    negatives = Seasonal(found.negative_times, history_start, tz)
    by_volume = strongest(all_stories, now, settings, since)
    by_negative = None if by_volume else strongest(negatives, now, settings, since)
    evidence: Evidence | None = by_volume or by_negative
    if evidence is None:
        return None
    # Shown over the shortest of the usual windows that holds the rise, with what it normally holds.
    window = evidence.window
    split = now - window.span
    volume_expected = all_stories.expected(split, now) or 0.0
    negative_expected = negatives.expected(split, now) or 0.0
    recent = count(found.times, split, now)
    recent_negative = count(found.negative_times, split, now)
    rows = _recent_posts(conn, conditions, split, now, theme=theme.name)
    if by_negative:
        rows = sorted(rows, key=lambda r: r.label != "negative")
    now_tally = _tally(found.stories, split, now)
    # The sentiment before: the stories of the day before the window.
    before = _tally(found.stories, split - DAY, split)
    net = _net(now_tally["positive"], now_tally["negative"], now_tally["stories"])
    previous = _net(before["positive"], before["negative"], before["stories"])
    what = "berichten" if by_volume else "negatieve berichten"
    copies = f" ({now_tally['posts']} met overnames)" if now_tally["posts"] > recent else ""
    return {
        "kind": "theme",
        "key": theme.name,
        "title": f"{theme.title}: {recent if by_volume else recent_negative} {what}{copies} {window.period} "
                 f"(normaal {_number(volume_expected if by_volume else negative_expected)})",
        "page": theme.page or None,
        "window": window.name,
        "since": evidence.since.isoformat(),
        "baseline": evidence.baseline,
        "trigger": "volume" if by_volume else "negative",
        "posts": recent,
        "copies": now_tally["posts"],
        "expected": round(volume_expected, 2),
        "growth": _growth(recent, volume_expected),
        "p_value": float(f"{evidence.p_value:.3g}"),
        "negative": recent_negative,
        "negative_expected": round(negative_expected, 2),
        "negative_growth": _growth(recent_negative, negative_expected),
        "net_sentiment": net,
        "previous_net_sentiment": previous,
        "sentiment_change": round(net - previous, 1) if net is not None and previous is not None else None,
        "top_terms": _top_terms(rows, theme_words),
        "post_ids": [row.id for row in rows],
    }


def detect(conn: Connection, config: WatchConfig, now: datetime | None = None,
           filters: PostFilter = PostFilter(), tz: str | ZoneInfo = CITY_TIME,
           since: Mapping[str, datetime] | None = None) -> list[dict]:
    """Emerging issues now, strongest first. Each: kind ('theme' | 'term'), key, title, page, window,
    since (a theme's rise: where it began), baseline ('<n>d': the earlier days; terms '24h'), trigger
    ('volume' | 'negative'), posts (stories), copies (their posts), expected, growth, p_value, negative,
    negative_expected, negative_growth, net_sentiment, previous_net_sentiment, sentiment_change,
    top_terms, post_ids. window: the shortest of 30m, 1h, 3h, 6h that holds the rise (terms 1h), the
    window posts, expected and the title count. `tz`: the city's time zone, whose days and hours the
    baseline follows; `since`: per theme, its last alert (a rise is looked for after it)."""
    now = now or utcnow()
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    since = since or {}
    conditions = filters.replace(since=None, until=None, theme=None).conditions()
    theme_words = {w for theme in config.themes for term in theme.terms for w in fold(term.rstrip("*")).split()}
    theme_words |= {w for term in config.watch.terms for w in fold(term).split()}
    issues: dict[tuple[str, str], dict] = {}

    history_start = conn.execute(select(func.min(posts.c.published_at)).where(*conditions)).scalar()
    if history_start is not None:
        history_start = min(history_start, now)
        # The profile's 28 local days before today, today so far, and the six hours before (the rise
        # looked for may have begun yesterday).
        longest = LOOKBACK + (SEASON_DAYS + 2) * DAY
        by_theme = _theme_stories(conn, conditions, max(history_start, now - longest), now)
        for theme in config.themes:
            if theme.name in by_theme:
                issue = _theme_issue(conn, conditions, theme, by_theme[theme.name], now, history_start,
                                     config.alerts, theme_words, zone, since.get(theme.name))
                if issue is not None:
                    issues[("theme", theme.name)] = issue

    issues.update(_term_issues(conn, conditions, now, config.alerts.sensitivity, config.alerts.min_posts, theme_words))
    return sorted(issues.values(), key=lambda i: (i["kind"] != "theme", -(i["growth"] or i["posts"])))


def _term_issues(conn, conditions, now, sensitivity, min_posts, exclude) -> dict:
    """Words in many posts of the last hour that the 24 hours before hardly had."""
    split, since = now - TERM_RECENT, now - TERM_RECENT - TERM_BASELINE
    ratio = TERM_RECENT / TERM_BASELINE
    rows = conn.execute(
        select(posts.c.id, posts.c.title, posts.c.text, posts.c.published_at, scores.c.label)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.published_at >= since, posts.c.published_at < now, *conditions)
        .order_by(desc(posts.c.published_at))
        .limit(TERM_SAMPLE)
    ).all()
    recent_df: Counter[str] = Counter()
    base_df: Counter[str] = Counter()
    recent_posts: dict[str, list] = {}
    recent_total = base_total = 0
    for row in rows:
        words = _words(f"{row.title or ''} {row.text}") - exclude
        if row.published_at >= split:
            recent_total += 1
            recent_df.update(words)
            for word in words:
                recent_posts.setdefault(word, []).append(row)
        else:
            base_total += 1
            base_df.update(words)
    if not base_total:
        return {}  # no baseline yet: every word would look new
    # A word emerges when its share of posts grows, not when all volume grows (a busy hour makes
    # every common word more frequent); the expected count follows the overall volume.
    ratio = max(ratio, recent_total / base_total)
    found = []
    for word, n in recent_df.items():
        expected = base_df[word] * ratio
        if _fires(n, expected, sensitivity, min_posts):
            found.append((n / max(expected, 1.0), n, word))
    issues = {}
    for _, n, word in sorted(found, reverse=True)[:MAX_TERM_ISSUES]:
        expected = base_df[word] * ratio
        matched = recent_posts[word]
        negative = sum(1 for r in matched if r.label == "negative")
        positive = sum(1 for r in matched if r.label == "positive")
        issues[("term", word)] = {
            "kind": "term",
            "key": word,
            "title": f"Opkomend woord ‘{word}’: {n} berichten in het afgelopen uur (normaal {_number(expected)})",
            "page": None,
            "window": "1h",
            "baseline": "24h",
            "trigger": "volume",
            "posts": n,
            "expected": round(expected, 2),
            "growth": _growth(n, expected),
            "negative": negative,
            "negative_expected": None,
            "negative_growth": None,
            "net_sentiment": _net(positive, negative, n),
            "previous_net_sentiment": None,
            "sentiment_change": None,
            "top_terms": _top_terms(matched, exclude | {word}),
            "post_ids": [r.id for r in matched[:MAX_POST_IDS]],
        }
    return issues


def _number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def run_alerts(conn: Connection, config: WatchConfig, now: datetime | None = None,
               tz: str | ZoneInfo = CITY_TIME) -> list[int]:
    """Open an alert for every issue detected now, unless one for the same kind and key was opened
    within the cooldown. Returns the ids of the new alerts (delivery picks up delivered_at IS NULL).
    A theme's rise is looked for after its last alert (the sequential test's reset): the stories that
    opened one alert do not open another once the cooldown is over. `tz`: the city's time zone.

    Processes opening alerts take turns (core.store.locks.serialise), so two workers or hosts that
    detect the same issue open it once: the second sees the first's alert within the cooldown."""
    now = now or utcnow()
    cooldown = parse_duration(config.alerts.cooldown)
    opened = []
    serialise(conn, OPENING_ALERTS)
    last = dict(conn.execute(
        select(alerts.c.key, func.max(alerts.c.opened_at))
        .where(alerts.c.kind == "theme", alerts.c.opened_at > now - LOOKBACK, alerts.c.opened_at <= now)
        .group_by(alerts.c.key)
    ).all())
    for issue in detect(conn, config, now, tz=tz, since=last):
        recent = conn.execute(
            select(alerts.c.id).where(
                and_(alerts.c.kind == issue["kind"], alerts.c.key == issue["key"], alerts.c.opened_at > now - cooldown)
            ).limit(1)
        ).first()
        if recent is not None:
            continue
        details = {k: v for k, v in issue.items() if k not in ("kind", "key", "title", "page", "post_ids")}
        # Growth is None where nothing was expected: then every story is growth.
        growth = issue["growth"] if issue["growth"] is not None else issue["posts"]
        loud = issue["trigger"] == "negative" or growth >= 2 * config.alerts.sensitivity
        severity = "critical" if loud else "warning"
        opened.append(conn.execute(
            insert(alerts).values(
                kind=issue["kind"], key=issue["key"], status="open", severity=severity, title=issue["title"],
                page=issue["page"], details=details, post_ids=issue["post_ids"], opened_at=now, updated_at=now,
            )
        ).inserted_primary_key[0])
    return opened


ALERT_STATUSES = ("open", "acknowledged", "resolved")


def list_alerts(conn: Connection, *, status: str | None = None, kind: str | None = None, limit: int = 50) -> list[dict]:
    """Alerts newest first, optionally only one status or kind."""
    query = select(alerts)
    if status:
        query = query.where(alerts.c.status == status)
    if kind:
        query = query.where(alerts.c.kind == kind)
    rows = conn.execute(query.order_by(alerts.c.opened_at.desc(), alerts.c.id.desc()).limit(max(1, min(limit, 500))))
    return [
        {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row._mapping.items()}
        for row in rows
    ]

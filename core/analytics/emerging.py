"""Emerging issues and alerts: themes and new terms whose volume rises well above their own baseline.

Each theme is compared with itself: the last hour against the 24 hours before it, and the last 24 hours
against the 14 days before them, for all posts and for negative posts. A theme is an issue when the
recent count reaches `alerts.min_posts` and is at least `alerts.sensitivity` times what its baseline
predicts (never less than one post, so a theme that is normally silent needs min_posts to fire).
Words that suddenly appear in many posts of the last hour are issues of kind "term".

run_alerts() turns issues into rows of the alerts table, at most one per theme or term per cooldown.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, desc, func, insert, select

from core.config.watch import WatchConfig, parse_duration
from core.matching import fold
from core.store.filters import PostFilter
from core.store.schema import alerts, post_themes, posts, scores, utcnow


@dataclass(frozen=True)
class Comparison:
    name: str  # the recent window as people say it
    recent: timedelta
    baseline: timedelta
    baseline_name: str


COMPARISONS = (
    Comparison("1h", timedelta(hours=1), timedelta(hours=24), "24h"),
    Comparison("24h", timedelta(hours=24), timedelta(days=14), "14d"),
)
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


def _theme_counts(conn: Connection, conditions, since: datetime, split: datetime, until: datetime) -> dict:
    """{theme: {"recent", "recent_negative", "recent_positive", "base", "base_negative", "base_positive"}}."""
    recent = posts.c.published_at >= split
    query = (
        select(post_themes.c.theme, recent.label("recent"), scores.c.label, func.count())
        .select_from(post_themes)
        .join(posts, posts.c.id == post_themes.c.post_id)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.published_at >= since, posts.c.published_at < until, *conditions)
        .group_by(post_themes.c.theme, recent, scores.c.label)
    )
    result: dict[str, Counter] = {}
    for theme, is_recent, label, n in conn.execute(query):
        counts = result.setdefault(theme, Counter())
        prefix = "recent" if is_recent else "base"
        counts[prefix] += n
        if label in ("negative", "positive"):
            counts[f"{prefix}_{label}"] += n
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
    counts = Counter()
    for row in rows:
        counts.update(_words(f"{row.title or ''} {row.text}") - exclude)
    return [term for term, n in counts.most_common(TOP_TERMS) if n > 1] or [t for t, _ in counts.most_common(3)]


def _fires(recent: int, expected: float, sensitivity: float, min_posts: int) -> bool:
    return recent >= min_posts and recent >= sensitivity * max(expected, 1.0)


def _growth(recent: int, expected: float) -> float | None:
    return round(recent / expected, 1) if expected > 0 else None


def detect(conn: Connection, config: WatchConfig, now: datetime | None = None,
           filters: PostFilter = PostFilter()) -> list[dict]:
    """Emerging issues now, strongest first. Each: kind ('theme' | 'term'), key, title, page, window,
    baseline, trigger ('volume' | 'negative'), posts, expected, growth, negative, negative_expected,
    negative_growth, net_sentiment, previous_net_sentiment, sentiment_change, top_terms, post_ids."""
    now = now or utcnow()
    sensitivity, min_posts = config.alerts.sensitivity, config.alerts.min_posts
    conditions = filters.replace(since=None, until=None, theme=None).conditions()
    themes = {theme.name: theme for theme in config.themes}
    theme_words = {w for theme in config.themes for term in theme.terms for w in fold(term).split()}
    theme_words |= {w for term in config.watch.terms for w in fold(term).split()}
    issues: dict[tuple[str, str], dict] = {}

    history_start = conn.execute(select(func.min(posts.c.published_at)).where(*conditions)).scalar()
    for comparison in COMPARISONS:
        split = now - comparison.recent
        if history_start is None:
            break
        # A young store has no 14 days of history: compare with what there is, and not at all when
        # that is too short to be anyone's "normal" (else everything is new on the first day).
        baseline = min(comparison.baseline, split - history_start)
        if baseline < 2 * comparison.recent:
            continue
        since = split - baseline
        ratio = comparison.recent / baseline
        for name, counts in _theme_counts(conn, conditions, since, split, now).items():
            theme = themes.get(name)
            if theme is None or ("theme", name) in issues:
                continue
            expected = counts["base"] * ratio
            negative_expected = counts["base_negative"] * ratio
            by_volume = _fires(counts["recent"], expected, sensitivity, min_posts)
            by_negative = _fires(counts["recent_negative"], negative_expected, sensitivity, min_posts)
            if not (by_volume or by_negative):
                continue
            rows = _recent_posts(conn, conditions, split, now, theme=name)
            if by_negative and not by_volume:
                rows = sorted(rows, key=lambda r: r.label != "negative")
            net = _net(counts["recent_positive"], counts["recent_negative"], counts["recent"])
            before = _net(counts["base_positive"], counts["base_negative"], counts["base"])
            trigger = "volume" if by_volume else "negative"
            what = "berichten" if by_volume else "negatieve berichten"
            n = counts["recent"] if by_volume else counts["recent_negative"]
            normal = expected if by_volume else negative_expected
            issues[("theme", name)] = {
                "kind": "theme",
                "key": name,
                "title": f"{theme.title}: {n} {what} {_period(comparison)} (normaal {_number(normal)})",
                "page": theme.page or None,
                "window": comparison.name,
                "baseline": comparison.baseline_name,
                "trigger": trigger,
                "posts": counts["recent"],
                "expected": round(expected, 2),
                "growth": _growth(counts["recent"], expected),
                "negative": counts["recent_negative"],
                "negative_expected": round(negative_expected, 2),
                "negative_growth": _growth(counts["recent_negative"], negative_expected),
                "net_sentiment": net,
                "previous_net_sentiment": before,
                "sentiment_change": round(net - before, 1) if net is not None and before is not None else None,
                "top_terms": _top_terms(rows, theme_words),
                "post_ids": [row.id for row in rows],
            }

    issues.update(_term_issues(conn, conditions, now, sensitivity, min_posts, theme_words))
    return sorted(issues.values(), key=lambda i: (i["kind"] != "theme", -(i["growth"] or i["posts"])))


def _term_issues(conn, conditions, now, sensitivity, min_posts, exclude) -> dict:
    """Words in many posts of the last hour that the 24 hours before hardly had."""
    comparison = COMPARISONS[0]
    split, since = now - comparison.recent, now - comparison.recent - comparison.baseline
    ratio = comparison.recent / comparison.baseline
    rows = conn.execute(
        select(posts.c.id, posts.c.title, posts.c.text, posts.c.published_at, scores.c.label)
        .outerjoin(scores, scores.c.post_id == posts.c.id)
        .where(posts.c.published_at >= since, posts.c.published_at < now, *conditions)
        .order_by(desc(posts.c.published_at))
        .limit(TERM_SAMPLE)
    ).all()
    recent_df, base_df = Counter(), Counter()
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
            "title": f"Opkomend woord ‘{word}’: {n} berichten {_period(comparison)} (normaal {_number(expected)})",
            "page": None,
            "window": comparison.name,
            "baseline": comparison.baseline_name,
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


def _period(comparison: Comparison) -> str:
    return "in het afgelopen uur" if comparison.recent <= timedelta(hours=1) else "in de afgelopen 24 uur"


def _number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def run_alerts(conn: Connection, config: WatchConfig, now: datetime | None = None) -> list[int]:
    """Open an alert for every issue detected now, unless one for the same kind and key was opened
    within the cooldown. Returns the ids of the new alerts (delivery picks up delivered_at IS NULL)."""
    now = now or utcnow()
    cooldown = parse_duration(config.alerts.cooldown)
    opened = []
    for issue in detect(conn, config, now):
        recent = conn.execute(
            select(alerts.c.id).where(
                and_(alerts.c.kind == issue["kind"], alerts.c.key == issue["key"], alerts.c.opened_at > now - cooldown)
            ).limit(1)
        ).first()
        if recent is not None:
            continue
        details = {k: v for k, v in issue.items() if k not in ("kind", "key", "title", "page", "post_ids")}
        loud = issue["trigger"] == "negative" or (issue["growth"] or 0) >= 2 * config.alerts.sensitivity
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

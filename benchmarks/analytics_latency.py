"""Latency of the analytics queries on a large store: fills it with synthetic posts, prints p50/p95.

    python benchmarks/analytics_latency.py                       # 1M posts in /tmp/newsroom-bench.db
    python benchmarks/analytics_latency.py --posts 200000 --days 90
    python benchmarks/analytics_latency.py --postgres postgresql://postgres@127.0.0.1:5432/test

The posts are spread over --days (default 365: about 2,700 a day, a busy city), 90% scored, 30% with a
theme, one in ten a syndicated copy of an earlier story; the 30 sources have a crawl run every 10 minutes
over the same days (1.6M runs in a year, 2% failed; the last run of two sources failed). The store is
reused when it already holds the requested number of posts (--fresh rebuilds it); a store filled before
the crawl runs were part of it gets them added.

Each line prints p50 and p95 over --runs; the machine's load average is printed before and after, since
timings on a busy machine are longer.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from core.analytics.authors import opinion_makers  # noqa: E402
from core.analytics.emerging import detect, list_alerts  # noqa: E402
from core.analytics.stories import top_stories  # noqa: E402
from core.analytics.summary import summary  # noqa: E402
from core.analytics.themes import theme_stats  # noqa: E402
from core.analytics.timeline import timeline  # noqa: E402
from core.analytics.wall import source_problems  # noqa: E402
from core.config.watch import parse_config  # noqa: E402
from core.store.db import make_engine, migrate  # noqa: E402
from core.store.filters import PostFilter  # noqa: E402
from core.store.listing import list_posts  # noqa: E402
from core.store.schema import crawl_runs, posts  # noqa: E402
from core.store.sources import source_health  # noqa: E402
from core.store.workspace import count_posts, story_sizes  # noqa: E402
from core.vocabulary import LABELS  # noqa: E402
from workspace.overview import OverviewFigures  # noqa: E402
from workspace.pages import COUNT_CAP  # noqa: E402

END = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
THEMES = {
    "afval": ["afval", "container", "kliko", "grofvuil"],
    "parkeren": ["parkeren", "parkeervergunning", "parkeerplaats"],
    "verkeer": ["omleiding", "fietspad", "wegwerkzaamheden"],
    "wonen": ["huurwoning", "studentenhuis", "nieuwbouw"],
    "veiligheid": ["politie", "inbraak", "vuurwerk"],
}
CONFIG = parse_config({
    "watch": {"city": "Groningen", "terms": ["Groningen", "Stad"]},
    "themes": [{"name": name, "terms": terms, "page": f"https://gemeente.groningen.nl/{name}"}
               for name, terms in THEMES.items()],
    "sources": [{"name": f"bron{i}", "kind": ("feed", "mastodon", "reddit")[i % 3], "url": f"https://bron{i}.nl"}
                for i in range(30)],
})
WORDS = ("de stad gemeente bewoners straat wijk college raad plan vandaag gisteren nieuw centrum station "
         "markt fiets bus school park zorg kosten geld besluit wethouder burgemeester binnenstad Paddepoel "
         "Beijum Vinkhuizen Selwerd Oosterpoort Zernike Hoogkerk Haren Noorderplantsoen Vismarkt").split()


def fill(engine, n: int, days: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    dialect = engine.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    start = END - timedelta(days=days)
    span = (END - start).total_seconds()
    with engine.begin() as conn:
        for i in range(30):
            kind = ("feed", "mastodon", "reddit")[i % 3]
            conn.exec_driver_sql(
                f"INSERT INTO sources (id, name, kind, channel, url, local, enabled, every_seconds, options, state,"
                f" created_at, updated_at) VALUES ({', '.join([mark] * 12)})",
                (i + 1, f"bron{i}", kind, ("news", "social", "forum")[i % 3], f"https://bron{i}.nl", True, True, 600,
                 "{}", "{}", _stamp(END, dialect), _stamp(END, dialect)),
            )
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    batch = 20000
    story_id = 0
    recent_stories: list[tuple[int, int]] = []
    t0 = time.perf_counter()
    for offset in range(0, n, batch):
        post_rows, theme_rows, score_rows, story_rows = [], [], [], []
        for k in range(offset, min(n, offset + batch)):
            pid = k + 1
            source = rng.randrange(30)
            channel = ("news", "social", "forum")[source % 3]
            words = rng.choices(WORDS, k=rng.randint(8, 30))
            themes = []
            if rng.random() < 0.3:
                theme = rng.choice(list(THEMES))
                themes.append(theme)
                words.insert(rng.randrange(len(words)), rng.choice(THEMES[theme]))
            body = " ".join(words)
            if recent_stories and rng.random() < 0.1:
                sid = rng.choice(recent_stories)[0]
            else:
                story_id += 1
                sid = story_id
                story_rows.append((sid, pid, body[:80], 1, _stamp(stamps[k], dialect), _stamp(stamps[k], dialect)))
                recent_stories.append((sid, pid))
                recent_stories = recent_stories[-200:]
            public = rng.random() < 0.05
            author = f"auteur{rng.randrange(20000)}" if channel != "news" else None
            post_rows.append((
                pid, source + 1, channel, f"e{pid}", f"https://bron{source}.nl/{pid}", f"https://bron{source}.nl/{pid}",
                f"{pid:064x}", None, body, author, author, public, rng.randrange(50000) if author else None,
                rng.randrange(200), rng.randrange(50), rng.randrange(30), "nl", sid,
                _stamp(stamps[k], dialect), _stamp(stamps[k], dialect), "{}",
            ))
            theme_rows.extend((pid, t) for t in themes)
            if rng.random() < 0.9:
                p = rng.random()
                label = LABELS[0] if p < 0.3 else LABELS[1] if p < 0.75 else LABELS[2]
                score_rows.append((pid, label, 0.3, 0.4, 0.3, "bench", "1", "nl", "[]", _stamp(stamps[k], dialect)))
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO stories (id, first_post_id, title, posts, first_seen, last_seen) VALUES ({', '.join([mark] * 6)})",
                story_rows)
            conn.exec_driver_sql(
                "INSERT INTO posts (id, source_id, channel, external_id, url, canonical_url, content_hash, title, text,"
                " author, author_id, author_public, author_reach, likes, reposts, replies, lang, story_id,"
                f" published_at, fetched_at, extra) VALUES ({', '.join([mark] * 21)})", post_rows)
            if theme_rows:
                conn.exec_driver_sql(f"INSERT INTO post_themes (post_id, theme) VALUES ({mark}, {mark})", theme_rows)
            conn.exec_driver_sql(
                "INSERT INTO scores (post_id, label, negative, neutral, positive, model, model_version, lang, flags,"
                f" scored_at) VALUES ({', '.join([mark] * 10)})", score_rows)
        done = min(n, offset + batch)
        print(f"\r  filled {done:,}/{n:,} posts ({done / (time.perf_counter() - t0):,.0f}/s)", end="", flush=True)
    print()
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))")
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT max(id) FROM stories))")
        conn.exec_driver_sql("ANALYZE")


RUN_EVERY = timedelta(minutes=10)
FAILING = (7, 19)  # the sources whose last run failed


def fill_runs(engine, days: int, seed: int = 11) -> None:
    """A crawl run per source every RUN_EVERY over `days`, as a year of `newsroom run` leaves them."""
    rng = random.Random(seed)
    dialect = engine.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    ticks = int(timedelta(days=days) / RUN_EVERY)
    rows = []
    t0 = time.perf_counter()
    for tick in range(ticks):
        started = END - (ticks - tick) * RUN_EVERY
        finished = started + timedelta(seconds=2)
        last = tick == ticks - 1
        for source in range(30):
            failed = source in FAILING if last else rng.random() < 0.02
            rows.append((source + 1, _stamp(started, dialect), _stamp(finished, dialect), "failed" if failed else "ok",
                         5, 0 if failed else 1, 0, 1 if failed else 0, 4, 6, 2.0, "HTTP 503" if failed else None))
        if len(rows) >= 60000 or last:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO crawl_runs (source_id, started_at, finished_at, status, fetched, new, duplicates, errors,"
                    f" not_modified, requests, duration_s, error) VALUES ({', '.join([mark] * 12)})", rows)
            rows = []
            print(f"\r  crawl runs {(tick + 1) * 30:,}/{ticks * 30:,} ({(tick + 1) * 30 / (time.perf_counter() - t0):,.0f}/s)",
                  end="", flush=True)
    print()
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _stamp(value: datetime, dialect: str):
    naive = value.astimezone(timezone.utc).replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds") if dialect == "sqlite" else naive


QUERIES = {
    "summary 24h": lambda c, now: summary(c, now=now),
    "summary 24h theme=afval": lambda c, now: summary(c, PostFilter(theme="afval"), now=now),
    "summary 24h channel=social": lambda c, now: summary(c, PostFilter(channel="social"), now=now),
    "summary 7d": lambda c, now: summary(c, window=timedelta(days=7), now=now),
    "timeline 24h hour by label": lambda c, now: timeline(c, window=timedelta(hours=24), now=now),
    "timeline 7d hour by label": lambda c, now: timeline(c, window=timedelta(days=7), now=now),
    "timeline 7d hour by channel": lambda c, now: timeline(c, window=timedelta(days=7), by="channel", now=now),
    "timeline 7d day theme=afval": lambda c, now: timeline(c, PostFilter(theme="afval"), window=timedelta(days=7),
                                                            bucket="day", now=now),
    "themes 24h": lambda c, now: theme_stats(c, CONFIG.themes, now=now),
    "emerging detect": lambda c, now: detect(c, CONFIG, now),
    "authors 7d": lambda c, now: opinion_makers(c, window=timedelta(days=7), now=now),
    "stories 24h": lambda c, now: top_stories(c, now=now),
    # The workspace's list pages: what one request of each runs (workspace/pages.py).
    "page / (overzicht) berekend": lambda c, now: _overview(c, now, OverviewFigures(max_age=0)),
    "page / (overzicht) bewaard": lambda c, now: _overview(c, now, KEPT),
    "page /berichten": lambda c, now: _posts_page(c, PostFilter(), "newest"),
    "page /berichten q=afval": lambda c, now: _posts_page(c, PostFilter(q="afval"), "newest"),
    "page /berichten q=afval relevantie": lambda c, now: _posts_page(c, PostFilter(q="afval"), "relevance"),
    "page /berichten 7d thema label": lambda c, now: _posts_page(
        c, PostFilter(theme="afval", label="negative", since=now - timedelta(days=7), until=now), "newest"),
    "page /berichten kanaal nee, p.5": lambda c, now: _posts_page(c, PostFilter(channel="social", handled=False),
                                                                 "newest", pages=5),
    "page /signalen": lambda c, now: list_alerts(c, status="open", limit=200),
    # Beheer's source health: every source's latest run, last success and failures, and its posts.
    "page /bronnen": lambda c, now: source_health(c),
}


def _posts_page(conn, filters: PostFilter, sort: str, pages: int = 1) -> None:
    """/berichten: a page of 50 (after `pages - 1` pages by cursor), its capped count, the stories' sizes."""
    cursor = None
    for _ in range(pages):
        page = list_posts(conn, filters, limit=50, cursor=cursor, sort=sort)
        cursor = page["next"]
    count_posts(conn, filters, cap=COUNT_CAP)
    story_sizes(conn, [p["story_id"] for p in page["items"]])


# The Overzicht keeps its mood and theme figures up to a minute (workspace/overview.py): "berekend" is a
# view that computes them (the first in a minute, or the first after a correction), "bewaard" one that
# finds them kept. The rest of the page is read live either way.
KEPT = OverviewFigures()


def _overview(conn, now: datetime, figures: OverviewFigures) -> None:
    """/ (Overzicht): what one request runs (workspace/pages.py overview)."""
    figures.get(conn, CONFIG.themes, now=now)
    list_alerts(conn, status="open", limit=10)
    source_problems(conn)
    list_posts(conn, PostFilter(), limit=10)


def load() -> str:
    """The machine's load while measuring: timings on a busy machine are longer, so they come with it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def measure(engine, runs: int, only: list[str]) -> None:
    rng = random.Random(1)
    print(f"before: {load()}")
    print(f"{'query':34} {'p50 ms':>8} {'p95 ms':>8} {'runs':>5}")
    with engine.connect() as conn:
        for name, query in QUERIES.items():
            if only and not any(o in name for o in only):
                continue
            n = max(5, runs // 4) if name == "emerging detect" else runs
            query(conn, END)  # warm the cache once, as a wall polling every few seconds does
            times = []
            for _ in range(n):
                now = END - timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
                t0 = time.perf_counter()
                query(conn, now)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"{name:34} {statistics.median(times):8.1f} {p95:8.1f} {n:5}")
    print(f"after: {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sqlite", default="/tmp/newsroom-bench.db", help="SQLite file (default %(default)s)")
    parser.add_argument("--postgres", help="PostgreSQL URL instead of SQLite (uses schema 'bench')")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--fresh", action="store_true", help="rebuild the store even when it is filled")
    parser.add_argument("--only", nargs="*", default=[], help="measure only queries whose name contains these")
    args = parser.parse_args()

    if args.postgres:
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'bench'")).first()
            if args.fresh or not exists:
                conn.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
                conn.execute(text("CREATE SCHEMA bench"))
        admin.dispose()
        sep = "&" if "?" in args.postgres else "?"
        engine = make_engine(f"{args.postgres}{sep}options=-csearch_path%3Dbench")
    else:
        if args.fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(args.sqlite + suffix).unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{args.sqlite}")
    migrate(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(posts)).scalar()
    if have != args.posts:
        if have:
            sys.exit(f"the store holds {have:,} posts, not {args.posts:,}: use --fresh")
        print(f"filling {engine.url.render_as_string()} with {args.posts:,} posts over {args.days} days")
        t0 = time.perf_counter()
        fill(engine, args.posts, args.days)
        print(f"  filled in {time.perf_counter() - t0:.0f} s")
    with engine.connect() as conn:
        runs = conn.execute(select(func.count()).select_from(crawl_runs)).scalar()
    if not runs:
        fill_runs(engine, args.days)
    print(f"{engine.dialect.name}, {args.posts:,} posts over {args.days} days (~{args.posts // args.days:,}/day)")
    measure(engine, args.runs, args.only)


if __name__ == "__main__":
    main()

"""The test behind emerging issues: is the count of a theme's stories in a recent window a rise?

Pure functions of sorted event times (no store), shared by core.analytics.emerging and
benchmarks/signals_backtest.py, so the backtest replays exactly what the analytics job runs.

Windows. Every cycle looks at the last half hour, hour and three hours and takes the strongest
evidence: a sudden incident shows first in the short windows, a slow one (a ramp, a half-strength first
hour) in the longer one. Each theme is tested in 3 windows x 2 series (all stories, negative ones), so
each test is held to `significance` / 6 (Bonferroni).

Baseline. What a window normally holds is read from the same window in the past, so it knows the
rhythm of the day and the week:
- the same window on each earlier day, up to four weeks back ("28d"): a weekday's window counts for
  less than a weekend day's by the ratio of their days' volumes (and the other way round), so a
  Monday morning is compared with mornings, weighted for the day;
- with four weeks of history, also the same hour of the week in each of the last four weeks ("4w"):
  a rise must be unusual against that too (p below WEEK_GUARD), which knows what the days do not
  (Friday evenings, a weekly market). Four windows are a rough estimate, hence the looser bar;
- with less than a day of history, nothing: everything would look new.
A reference window that held an incident of its own is left out (the daily references, at most a
quarter) or capped (the weekly ones), so last week's incident does not hide this week's.

Test. The recent count n against B stories in reference windows worth K recent windows: under
"nothing changed", given n + B, n is binomial with p = 1 / (1 + K) (the exact conditional test of two
Poisson counts), so a baseline estimated from few stories demands a larger rise than a well-known
one. Days are not all alike (a busy news day lifts every hour a little): the excess over the expected
count m is divided by sqrt(1 + DAY_SPREAD^2 m), the negative-binomial variance over the Poisson's. A
rise must also be of some size: `min_posts` stories, and at least `min_posts` above the expected count.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from scipy.stats import binom

from core.config.watch import Alerts

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
SEASON_WEEKS = 4
# How far back the day-by-day baseline looks while history is short of four weeks.
MAX_DAYS = 28


@dataclass(frozen=True)
class Window:
    name: str
    span: timedelta
    period: str  # the window as the title says it


WINDOWS = (
    Window("30m", timedelta(minutes=30), "in het afgelopen half uur"),
    Window("1h", timedelta(hours=1), "in het afgelopen uur"),
    Window("3h", timedelta(hours=3), "in de afgelopen 3 uur"),
)
# The relative spread of whole days' volume around their normal (a gamma day factor's coefficient of
# variation): the overdispersion the Poisson test alone does not know.
DAY_SPREAD = 0.2
# A reference window this unlikely under the others is an incident of its own, not "normal".
OUTLIER = 0.001
# Against the same hour of the week (four windows: a rough estimate) a rise need only be unusual:
# it guards against what the earlier days do not know (Friday evenings, a weekly market).
WEEK_GUARD = 0.01
# Each theme is tested twice, all its stories and its negative ones, so each shares the significance.
SERIES = 2


@dataclass(frozen=True)
class Baseline:
    name: str  # "4w" (the same window in each of the last four weeks) or "<n>d" (n earlier days)
    count: int  # stories in the reference windows together
    windows: float  # how many recent windows' worth they are

    @property
    def expected(self) -> float:
        return self.count / self.windows


@dataclass(frozen=True)
class Evidence:
    """The strongest rise over the windows: which window, its count and baseline, its p-value."""
    window: Window
    recent: int
    base: Baseline
    p_value: float


def count(times: Sequence[datetime], since: datetime, until: datetime) -> int:
    return bisect_left(times, until) - bisect_left(times, since)


def _weekend(moment: datetime) -> bool:
    return moment.weekday() >= 5


def baselines(times: Sequence[datetime], now: datetime, span: timedelta, history_start: datetime) -> list[Baseline]:
    """What the window of `span` ending `now` normally holds, from the sorted event `times` before it:
    first the same window on each earlier day (up to four weeks back; a weekday's window counts for
    less than one of a weekend day's by the ratio of their days' volumes), then, with four weeks of
    history, the same window of the week in each of the last four. Empty while history holds less
    than a day before the window."""
    known = now - span - history_start  # history before the window
    days = min(MAX_DAYS, int(known / DAY))
    if days < 1:
        return []
    ends = [now - d * DAY for d in range(1, days + 1)]
    weight = _kind_weights(times, now - span / 2, days)
    counts = [(count(times, end - span, end), weight(end - span / 2) if span < DAY else 1.0) for end in ends]
    days_base = _robust(counts, f"{days}d")
    if known < SEASON_WEEKS * WEEK:
        return [days_base]
    # The same window of the week: few references, so one incident among them weighs heavily; a
    # reference that is an outlier against the earlier days counts as the most they allow.
    cap = _outlier(days_base)
    weeks = [min(cap, count(times, now - span - k * WEEK, now - k * WEEK)) for k in range(1, SEASON_WEEKS + 1)]
    return [days_base, Baseline(f"{SEASON_WEEKS}w", sum(weeks), SEASON_WEEKS)]


def _kind_weights(times: Sequence[datetime], moment: datetime, days: int):
    """How many of `moment`'s windows an earlier day's window is worth: 1 for a day of the same kind
    (weekday, weekend day), else the ratio of that kind's mean day volume to `moment`'s kind's."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    totals: dict[bool, list[int]] = {True: [], False: []}
    for d in range(1, days + 1):
        day = midnight - d * DAY
        totals[_weekend(day)].append(count(times, day, day + DAY))
    mine = _weekend(moment)
    if not sum(totals[True]) or not sum(totals[False]):
        return lambda other: 1.0  # no day (or no story) of one kind yet: all days alike
    ratio = (sum(totals[not mine]) / len(totals[not mine])) / (sum(totals[mine]) / len(totals[mine]))
    return lambda other: 1.0 if _weekend(other) == mine else ratio


def baseline(times: Sequence[datetime], now: datetime, span: timedelta, history_start: datetime) -> Baseline | None:
    """The first of `baselines`: the same hour of the week once history allows, else of earlier days."""
    found = baselines(times, now, span, history_start)
    return found[0] if found else None


def _robust(counts: list[tuple[int, float]], name: str) -> Baseline:
    """The reference windows' counts (each with what it is worth in windows like the recent one) together."""
    counts = sorted(counts, key=lambda pair: pair[0] / pair[1])
    # A reference window that itself held an incident would make the next one look normal: the
    # largest is left out while it is an outlier against the others (at most a quarter of them).
    for _ in range(len(counts) // 4):
        n, worth = counts[-1]
        rest = Baseline(name, sum(c for c, _ in counts[:-1]), sum(w for _, w in counts[:-1]))
        if _tail(round(n / worth), rest) >= OUTLIER:
            break
        counts.pop()
    return Baseline(name, sum(c for c, _ in counts), sum(w for _, w in counts))


def _outlier(base: Baseline) -> int:
    """The smallest count that is an outlier against `base`."""
    n = math.ceil(base.expected)
    while _tail(n, base) >= OUTLIER:
        n += 1
    return n


def p_value(recent: int, base: Baseline) -> float:
    """P(at least `recent` of the recent + baseline events in the recent window | equal rates), with
    the excess over the expected count shrunk for the day-to-day spread (see the module's doc)."""
    if recent <= 0:
        return 1.0
    expected = base.expected
    shrunk = expected + (recent - expected) / math.sqrt(1 + DAY_SPREAD**2 * expected) if recent > expected else recent
    return _tail(math.ceil(shrunk - 1e-9), base)


def _tail(n: int, base: Baseline) -> float:
    """The exact conditional test: P(Binomial(n + B, 1 / (1 + K)) >= n)."""
    if n <= 0:
        return 1.0
    return float(binom.sf(n - 1, n + base.count, 1 / (1 + base.windows)))


def fires(recent: int, base: Baseline, settings: Alerts, tests: int = 1) -> bool:
    """A rise that is large enough (min_posts, and as many above the expected count) and not chance
    (significance, shared by `tests` tests)."""
    return (recent >= settings.min_posts and recent - base.expected >= settings.min_posts
            and p_value(recent, base) < settings.significance / tests)


def strongest(times: Sequence[datetime], now: datetime, history_start: datetime, settings: Alerts,
              windows: Sequence[Window] = WINDOWS) -> Evidence | None:
    """The window with the smallest p-value among those that fire now, or None. A window fires when
    its count is a significant rise over the earlier days (the significance shared by the windows
    and the SERIES tested side by side)
    and, once there are four weeks, not normal for the hour of the week either (p below WEEK_GUARD)."""
    best = None
    for window in windows:
        found = baselines(times, now, window.span, history_start)
        if not found:
            continue
        recent = count(times, now - window.span, now)
        if not fires(recent, found[0], settings, SERIES * len(windows)):
            continue
        if len(found) > 1 and p_value(recent, found[1]) >= WEEK_GUARD:
            continue
        p = p_value(recent, found[0])
        if best is None or p < best.p_value:
            best = Evidence(window, recent, found[0], p)
    return best

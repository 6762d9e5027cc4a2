"""The test behind emerging issues: has a theme's stream of stories risen above what it normally holds?

Pure functions of sorted event times (no store), shared by core.analytics.emerging and
benchmarks/signals_backtest.py, so the backtest replays exactly what the analytics job runs.

Normal (`Seasonal`). What each hour normally holds is learnt from the 28 local days before today, in
the city's time zone (Europe/Amsterdam), so summer time does not shift the rhythm by an hour:
- the shape of the day, per local hour, from the days of the same kind (weekdays, or the weekend);
- the day's level from the days of the same type (weekdays, Saturdays, Sundays);
- a public holiday (Dutch: Nieuwjaarsdag, Easter, Koningsdag, Ascension, Whitsun, Christmas, and
  Bevrijdingsdag in lustrum years, as the `holidays` package lists them; not Good Friday, a working
  day for most) is a Sunday, both as the day tested and as a day of history: a quiet holiday morning is
  not held against a weekday's, and a rise on it is measured against a Sunday morning;
- both shrunk towards the plain mean of all history, which counts as PSEUDO_DAYS of each hour: while
  history is short it fills the hours the few days say nothing about (a first weekend has only the
  weekdays' plain mean), and the test is widened for how roughly few days and stories know an hour;
  the weekend's shape, learnt from few days, also counts the weekdays' shape as SHARED_DAYS more;
- an hour of an earlier day that held an incident (far above the other days' same hour) counts as
  those days' mean, so last week's incident does not hide this week's (nor raise a quiet hour for a
  month);
- with less than one whole day of history, nothing: everything would look new.

The day's level. Some days are simply busier (news, weather) and lift every hour: a gamma "day factor"
with a spread estimated from the history's day totals (the negative binomial's dispersion), each day
weighed by how much its total can say (a quiet theme's handful of stories a day says little beyond
Poisson noise, so its spread stays near the prior, DAY_SPREAD, instead of swinging to the bounds).
Before a rise, the day so far tells how busy the day is: its stories against the profile's expectation
update the gamma prior, and the stories after that moment are negative binomial (the gamma-Poisson
predictive).

The test (sequential). Every run considers each moment in the last six hours, in 10-minute steps, as
the possible start of a rise (a change point) and asks how unlikely the stories since then are under
"nothing changed" (the negative-binomial tail above). The strongest of these is the evidence: a sudden
incident shows after a few short steps, a slow one (a ramp, a half-strength first hour) as the longer
windows add up. This is the generalised likelihood-ratio view of a CUSUM: it needs no guess of the
incident's size, and being recomputed from the stories each run it keeps no state between runs; after
an alert, windows start after it (the reset). A rise must also be of some size: `min_posts` stories,
and at least `min_posts` above the expected count (in whole stories); and its p-value must be below
`significance` shared by the windows and the SERIES tested side by side (Bonferroni).
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Sequence
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from scipy.stats import nbinom

from core.config.watch import Alerts

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
STEP = timedelta(minutes=10)
# Change points are looked for up to six hours back (incidents last an hour to half a day).
STEPS = 36
LOOKBACK = STEPS * STEP
SEASON_DAYS = 28
# The plain mean of all history counts as this many days of each hour: the fallback while history is
# short, and a little smoothing of quiet hours after.
PSEUDO_DAYS = 0.5
# The day factor's relative spread: the prior, and the bounds of what the history's days may set.
DAY_SPREAD = 0.2
SPREAD_BOUNDS = (0.1, 0.5)
# The prior spread counts as this many busy days (a quiet theme's days weigh less, see _profile).
PRIOR_DAYS = 7
# The weekdays' shape of the day counts as this many days of the weekend's: the weekend's few days learn
# its shape roughly, and most hours of a city's day keep their rhythm at the weekend.
SHARED_DAYS = 2.0
# An hour of an earlier day this far above the other days' same hour held an incident of its own: it
# counts as what they make normal.
OUTLIER_SD = 4.0
# Each theme is tested twice, all its stories and its negative ones, so each shares the significance.
SERIES = 2
CITY_TIME = "Europe/Amsterdam"
# Public holidays (the `holidays` package's, Good Friday left out) are Sundays to the profile.
HOLIDAY_COUNTRY = "NL"


@dataclass(frozen=True)
class Window:
    name: str
    span: timedelta
    period: str  # the window as the title says it


# How a rise is shown: in the shortest of these that holds it.
WINDOWS = (
    Window("30m", timedelta(minutes=30), "in het afgelopen half uur"),
    Window("1h", HOUR, "in het afgelopen uur"),
    Window("3h", 3 * HOUR, "in de afgelopen 3 uur"),
    Window("6h", 6 * HOUR, "in de afgelopen 6 uur"),
)


@dataclass(frozen=True)
class Evidence:
    """The strongest rise: since when (until now), its stories, what that time normally holds, its p-value."""
    since: datetime
    now: datetime
    recent: int
    expected: float
    p_value: float
    baseline: str  # "<n>d": the earlier days the profile was learnt from

    @property
    def window(self) -> Window:
        """The shortest display window that holds the rise."""
        return next((w for w in WINDOWS if w.span >= self.now - self.since), WINDOWS[-1])


def count(times: Sequence[datetime], since: datetime, until: datetime) -> int:
    return bisect_left(times, until) - bisect_left(times, since)


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    """The public holidays of HOLIDAY_COUNTRY in a year that are days off (Good Friday is not, for most)."""
    days = holidays.country_holidays(HOLIDAY_COUNTRY, years=year, language="en_US")
    return frozenset(day for day, name in days.items() if name != "Good Friday")


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def _kind(day: date) -> str:
    if is_holiday(day):
        return "sunday"
    return ("weekday", "weekday", "weekday", "weekday", "weekday", "saturday", "sunday")[day.weekday()]


def _group(kind: str) -> str:
    return "weekday" if kind == "weekday" else "weekend"


@dataclass
class _Day:
    """One local day: its hours' boundaries (UTC epoch seconds), local hour of each, and what each normally holds."""
    bounds: np.ndarray
    hours: np.ndarray
    cumulative: np.ndarray | None = None  # expected stories from midnight to each boundary
    dispersion: float = DAY_SPREAD**2  # 1 / the day factor's gamma shape
    history: int = 0  # whole earlier days the profile was learnt from
    # How well the profile is known: the days behind each hour's shape, and the relative variance of
    # the day type's level (Saturdays are learnt from four days, weekdays from twenty).
    shape_days: float = 0.0
    level_variance: float = 0.0


class Seasonal:
    """What a stream of events (sorted UTC times) normally holds at each moment, day by day in local time.
    A day's profile uses only the days before it, so it is learnt once and kept (the backtest replays
    weeks through one instance; the analytics job makes one per run)."""

    def __init__(self, times: Sequence[datetime], history_start: datetime, tz: ZoneInfo | str = CITY_TIME):
        self.epochs = np.fromiter((t.timestamp() for t in times), dtype=float, count=len(times))
        self.history_start = history_start.timestamp()
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self._days: dict[date, _Day] = {}
        self._counts: dict[date, tuple[np.ndarray, np.ndarray]] = {}

    def local_day(self, epoch: float) -> date:
        return datetime.fromtimestamp(epoch, self.tz).date()

    def _frame(self, day: date) -> _Day:
        return _Day(*_hours_of(day, self.tz))

    def _hour_counts(self, day: date) -> tuple[np.ndarray, np.ndarray]:
        """An earlier day's events per local hour (24), and how many hours of it each local hour had (0-2)."""
        if day not in self._counts:
            frame = self._frame(day)
            events = np.diff(np.searchsorted(self.epochs, frame.bounds))
            self._counts[day] = (np.bincount(frame.hours, weights=events, minlength=24),
                                 np.bincount(frame.hours, minlength=24).astype(float))
        return self._counts[day]

    def day(self, day: date) -> _Day:
        """The day's frame with its expected counts, or without (cumulative None) while history is short."""
        if day not in self._days:
            self._days[day] = self._profile(day)
        return self._days[day]

    def _profile(self, day: date) -> _Day:
        frame = self._frame(day)
        earlier = [day - k * DAY for k in range(1, SEASON_DAYS + 1)]
        earlier = [d for d in earlier if self._frame(d).bounds[0] >= self.history_start]
        if not earlier:
            return frame
        counts = np.array([self._hour_counts(d)[0] for d in earlier])
        exposure = np.array([self._hour_counts(d)[1] for d in earlier])
        kinds = [_kind(d) for d in earlier]
        groups = np.array([_group(k) for k in kinds])
        counts = _capped(counts, exposure, groups)
        flat = counts.sum() / exposure.sum()  # the plain mean per hour

        def summed(group: str) -> tuple[np.ndarray, np.ndarray]:
            mine = groups == group
            return counts[mine].sum(axis=0), exposure[mine].sum(axis=0)

        def shape(group: str) -> np.ndarray:
            c, x = summed(group)
            prior, days = PSEUDO_DAYS * flat, PSEUDO_DAYS
            other_c, other_x = summed("weekday")
            if group == "weekend" and c.sum() and other_c.sum():
                # The weekdays' shape at the weekend's volume counts as SHARED_DAYS more days.
                other = other_c / np.maximum(other_x, 1e-9) * (c.sum() / x.sum()) / (other_c.sum() / other_x.sum())
                prior, days = prior + SHARED_DAYS * other, days + SHARED_DAYS
            return (c + prior) / (x + days)

        totals = counts.sum(axis=1)

        def level(kind: str) -> float:
            """The day type's volume against its group's (Saturdays against weekend days), shrunk to 1."""
            group = np.array([_group(k) == _group(kind) for k in kinds])
            mine = np.array([k == kind for k in kinds])
            if not group.any() or not totals[group].sum():
                return 1.0
            mean = totals[group].mean()
            return float((totals[mine].sum() + PSEUDO_DAYS * mean) / ((mine.sum() + PSEUDO_DAYS) * mean))

        shapes = {g: shape(g) for g in ("weekday", "weekend")}
        levels = {k: level(k) for k in ("weekday", "saturday", "sunday")}
        # The day factor's spread, from how far the earlier days' totals stray from their expectation
        # beyond Poisson noise (the method of moments for the negative binomial's dispersion).
        expected = np.array([(shapes[_group(k)] * exposure[i]).sum() * levels[k] for i, k in enumerate(kinds)])
        # Each day's estimate weighs by its precision (about 1 / (2 (1/mu + spread^2)^2)): a quiet theme's
        # few stories a day say little about the spread beyond Poisson noise, and the prior holds it.
        prior = DAY_SPREAD**2
        mu = np.maximum(expected, 1e-9)
        each = ((totals - mu) ** 2 - totals) / mu**2
        weights = 1 / (2 * (1 / mu + prior) ** 2)
        prior_weight = PRIOR_DAYS / (2 * prior**2)  # as much as PRIOR_DAYS busy days
        dispersion = float(((weights * each).sum() + prior_weight * prior) / (weights.sum() + prior_weight))
        dispersion = float(np.clip(dispersion, SPREAD_BOUNDS[0] ** 2, SPREAD_BOUNDS[1] ** 2))

        kind = _kind(day)
        per_hour = shapes[_group(kind)][frame.hours] * levels[kind]
        frame.cumulative = np.concatenate(([0.0], np.cumsum(per_hour)))
        frame.dispersion = dispersion
        frame.history = len(earlier)
        mine = groups == _group(kind)
        shared = SHARED_DAYS if kind != "weekday" and counts[mine].sum() and counts[~mine].sum() else 0.0
        frame.shape_days = float(mine.sum()) + PSEUDO_DAYS + shared
        if kind != "weekday":
            frame.level_variance = dispersion / (sum(k == kind for k in kinds) + PSEUDO_DAYS)
        return frame

    def since_midnight(self, epochs: np.ndarray, day: date) -> np.ndarray:
        """Expected events from `day`'s local midnight to each of `epochs` (all within that day)."""
        frame = self.day(day)
        assert frame.cumulative is not None
        return np.interp(epochs, frame.bounds, frame.cumulative)

    def expected(self, since: datetime, until: datetime) -> float | None:
        """Expected events in [since, until) (at most a day apart), the day's level not included; None
        while history is short."""
        first, last = self.local_day(since.timestamp()), self.local_day(until.timestamp())
        if self.day(first).cumulative is None or self.day(last).cumulative is None:
            return None
        a = self.since_midnight(np.array([since.timestamp()]), first)[0]
        b = self.since_midnight(np.array([until.timestamp()]), last)[0]
        if first != last:
            frame = self.day(first)
            b += frame.cumulative[-1]
        return float(b - a)


@lru_cache(maxsize=1024)
def _hours_of(day: date, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """A local day's hours: their boundaries (UTC epoch seconds) and the local hour of each (read only)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(timezone.utc)
    following = day + DAY
    end = datetime(following.year, following.month, following.day, tzinfo=tz).astimezone(timezone.utc)
    n = round((end - start) / HOUR)  # 23 or 25 on the days summer time begins or ends
    return (start.timestamp() + 3600.0 * np.arange(n + 1),
            np.array([(start + i * HOUR).astimezone(tz).hour for i in range(n)]))


def _capped(counts: np.ndarray, exposure: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The earlier days' hourly counts, where one is beyond what the other days of its group make
    plausible for that hour (OUTLIER_SD standard deviations of the negative binomial above their mean,
    and two stories) their mean instead: an hour that held an incident counts as a normal hour. (Capped
    at the plausible most instead, an incident in a quiet night hour would still count as several
    stories, and raise that hour of every later day of its kind a few times over.)"""
    capped = counts.copy()
    flat = counts.sum() / max(exposure.sum(), 1.0)
    for group in set(groups.tolist()):
        mine = groups == group
        c, x = counts[mine], exposure[mine]
        others = x.sum(axis=0) - x
        # The other days' same hour, with the plain mean as a little more: an hour that none of the
        # other days held a story in is not a certain zero.
        rate = (c.sum(axis=0) - c + PSEUDO_DAYS * flat) / (others + PSEUDO_DAYS)
        expected = rate * x
        cap = expected + OUTLIER_SD * np.sqrt(expected + (DAY_SPREAD * expected) ** 2) + 2
        # Only against three or more other days: fewer cannot tell an incident from a busy hour.
        capped[mine] = np.where((others >= 3) & (c > cap), expected, c)
    return capped


def strongest(seasonal: Seasonal, now: datetime, settings: Alerts, since: datetime | None = None,
              series: int = SERIES) -> Evidence | None:
    """The strongest rise that fires now, or None: over the change points of the last six hours (after
    `since`, the last alert), the one whose stories since are least likely under "nothing changed", if
    that is a rise of some size and significant (see the module's doc)."""
    end = now.timestamp()
    today = seasonal.local_day(end)
    if seasonal.day(today).cumulative is None:
        return None
    starts = end - STEP.total_seconds() * np.arange(1, STEPS + 1)
    floor = max(seasonal.history_start, since.timestamp() if since else -np.inf)
    starts = starts[starts >= floor]
    ends = np.searchsorted(seasonal.epochs, end)
    recent = ends - np.searchsorted(seasonal.epochs, starts)
    keep = recent >= settings.min_posts
    if not keep.any():
        return None
    starts, recent = starts[keep], recent[keep]
    now_expected = seasonal.since_midnight(np.array([end]), today)[0]
    normal = np.empty_like(starts)  # expected in [start, now)
    before = np.empty_like(starts)  # expected from the start's midnight to the start: the day so far
    midnights = np.empty_like(starts)
    for day in {seasonal.local_day(s) for s in starts}:
        frame = seasonal.day(day)
        if frame.cumulative is None:
            return None
        mine = np.array([seasonal.local_day(s) == day for s in starts])
        before[mine] = seasonal.since_midnight(starts[mine], day)
        normal[mine] = now_expected - before[mine] + (frame.cumulative[-1] if day != today else 0.0)
        midnights[mine] = frame.bounds[0]
    seen = np.searchsorted(seasonal.epochs, starts) - np.searchsorted(seasonal.epochs, midnights)
    # The day's factor: gamma(shape, rate) a priori with mean 1, updated by the day so far.
    frame = seasonal.day(today)
    shape = 1 / frame.dispersion + seen
    rate = 1 / frame.dispersion + before
    expected = shape / rate * normal
    # "min_posts more than normal" in whole stories: 5 where 0.2 are expected is five more.
    large = (recent - np.floor(expected)) >= settings.min_posts
    if not large.any():
        return None
    # The stories since the start are negative binomial around that: the day factor's uncertainty,
    # plus the profile's own (an hour learnt from few days and stories is known roughly).
    variance = 1 / shape + 1 / np.maximum(normal * frame.shape_days, 1e-9) + frame.level_variance
    size = 1 / variance
    p = nbinom.sf(recent - 1, size, size / (size + expected))
    p = np.where(large, p, 1.0)
    # The least likely; among equals (a burst where almost nothing is normal: p rounds to 0) the one
    # that holds the most stories.
    best = int(np.lexsort((-(recent - expected), p))[0])
    if p[best] >= settings.significance / (series * STEPS):
        return None
    began = datetime.fromtimestamp(starts[best], timezone.utc)
    return Evidence(began, now, int(recent[best]), float(expected[best]), float(p[best]),
                    f"{seasonal.day(today).history}d")

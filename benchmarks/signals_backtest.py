"""Backtest of theme spike detection: eight weeks of synthetic traffic with a daily and weekly rhythm
and injected incidents, replayed through the old detector and the new one side by side.

    python benchmarks/signals_backtest.py [--weeks 8] [--seed 15] [--every 5] [--scale 1.0]
                                          [--sensitivity 3] [--min-posts 5] [--significance 0.002]
    python benchmarks/signals_backtest.py --seeds 15 16 17 18 19 20 21 22  # a line per seed, totals, misses

Traffic: three themes (a busy, a middling and a quiet one), each a Poisson stream of stories whose rate
follows the hour of the day (night 0.15x, the weekday morning peak 2.4x the daily mean) and the day of
the week (weekends about half of a weekday; a public holiday, here Easter Monday 6 April, as quiet as a
Sunday) on the city's clock (Europe/Amsterdam: the weeks from 2 March hold the start of summer time on
29 March), times a per-day factor (gamma, 20% spread) for the days that are simply busier. About a third
of the normal stories are negative.

Incidents: one per theme per week (after the first) at a random moment, mornings, nights and weekends
alike, and each drawn anew: 1 to 6 hours long; 5 to 15 extra stories an hour at full strength
(log-uniform: small ones as often as large ones); an onset that is sudden, a ramp over the first
hour, or the first hour at half strength (a third each); 50-90% of their stories negative (an incident
is a complaint, a fire, a breakdown). `--scale` multiplies every incident's size, to see where
detection stops (`--scale 0.5`: half-sized incidents).

The detectors run every `--every` minutes (the analytics job: every minute), on the stories seen so
far, on all stories and on the negative ones:
- old: the last hour against the mean of the 24 hours before, the last day against the 14 days before,
  firing at `sensitivity` x the mean and `min_posts` (the code before issue 15);
- new: core.analytics.signals.strongest (the stories since each moment of the last six hours against
  a profile of the 28 local days before and the day's level so far; see that module);
- oracle: a yardstick, the new test against the normal rate as drawn (see oracle_detector): an
  incident it misses is not distinguishable from the noise at that many false alarms.
An alert opens at most once per theme per cooldown (6 h), as run_alerts does, and the new test and the
oracle look for a rise after the last alert, as run_alerts does. An alert from an incident's start
until an hour after its end detects it; a later one within a day of its end is a repeat; any other
alert is a false alarm.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.stats import poisson  # noqa: E402

from core.analytics.signals import SERIES, STEP, STEPS, Seasonal, count, is_holiday, strongest  # noqa: E402
from core.config.watch import Alerts  # noqa: E402

TZ = ZoneInfo("Europe/Amsterdam")
# A Monday: the eight weeks hold the start of summer time (Sunday 29 March: a 23-hour day, and
# the city's rhythm an hour earlier in UTC after it).
START = datetime(2026, 3, 2, tzinfo=TZ).astimezone(timezone.utc)
HOUR = timedelta(hours=1)
COOLDOWN = timedelta(hours=6)
# Mean stories per hour of each theme, over the whole week.
THEMES = {"afval": 2.0, "verkeer": 0.8, "veiligheid": 0.25}
DAILY = [0.15, 0.15, 0.15, 0.15, 0.15, 0.2, 0.4, 0.8, 2.0, 2.4, 1.8, 1.3,
         1.3, 1.3, 1.3, 1.3, 1.3, 1.5, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3]
WEEKLY = [1.15, 1.15, 1.15, 1.15, 1.15, 0.7, 0.55]
DAY_SPREAD = 0.2
NEGATIVE_SHARE = 0.33
INCIDENT_HOURS = (1.0, 6.0)
INCIDENT_RATE = (5.0, 15.0)  # extra stories an hour at full strength
INCIDENT_NEGATIVE = (0.5, 0.9)
ONSETS = ("sudden", "ramp", "half")
# An incident stands out: its first two hours bring at least this many standard deviations of the
# normal traffic then, and this many stories (a smaller draw is scaled up to that).
VISIBLE = 4.0
MIN_EXTRA = 6.0
# The incidents that, as drawn, stood out this many standard deviations in their first two hours:
# what a detector that knew the normal rate exactly could be asked to find every time.
CLEAR = 5.0
OLD = (("1h", HOUR, 24 * HOUR), ("24h", 24 * HOUR, 14 * 24 * HOUR))
# Where the detector stands relative to an incident's size, to report the smallest found.
SCALES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Incident:
    theme: str
    start: datetime
    end: datetime
    rate: float
    onset: str
    normal: float = 0.0  # the theme's normal stories expected in the incident's first two hours
    extra: int = 0  # the incident's own stories in its first two hours, as drawn

    @property
    def z(self) -> float:
        """How far the first two hours stood out, as drawn: extra stories in standard deviations of
        the normal traffic then (Poisson and the day-to-day spread)."""
        return self.extra / math.sqrt(self.normal + (DAY_SPREAD * self.normal) ** 2 or 1.0)


@dataclass
class Stream:
    times: list[datetime]
    negative: list[datetime]
    normal: list[float]  # the normal stories expected in each hour from START, as drawn (the oracle's)


def rate(mean: float, at: datetime, day_factor: float, holidays: bool = True) -> float:
    """Stories an hour at `at`: the city's rhythm follows its local clock (a public holiday a Sunday's)."""
    local = at.astimezone(TZ)
    daily = DAILY[local.hour] / (sum(DAILY) / 24)
    weekly = WEEKLY[6 if holidays and is_holiday(local.date()) else local.weekday()] / (sum(WEEKLY) / 7)
    return mean * daily * weekly * day_factor


def day_index(at: datetime) -> int:
    """The local day of `at`, counted from START's: busy days are local days."""
    return (at.astimezone(TZ).date() - START.astimezone(TZ).date()).days


def strength(incident: Incident, at: datetime) -> float:
    """The share of the incident's full rate at `at` (its onset)."""
    since = (at - incident.start) / HOUR
    if incident.onset == "ramp":
        return min(1.0, since)
    if incident.onset == "half":
        return 0.5 if since < 1 else 1.0
    return 1.0


def traffic(weeks: int, rng: random.Random, scale: float = 1.0) -> tuple[dict[str, Stream], list[Incident]]:
    """{theme: its stories' times and its negative stories' times}, and the incidents injected into them."""
    hours = weeks * 7 * 24
    end = START + hours * HOUR
    streams: dict[str, Stream] = {}
    incidents = []
    # A holiday's quiet: its stories drawn as a weekday's, then thinned to a Sunday's with a random stream
    # of their own, so that the seeds draw the same traffic and incidents as before holidays were known.
    thinning = random.Random(hash(rng.getstate()[1]))  # the state's integers: the same in every run
    for theme, mean in THEMES.items():
        day_factors = [rng.gammavariate(1 / DAY_SPREAD**2, DAY_SPREAD**2) for _ in range(weeks * 7 + 1)]
        events: list[tuple[datetime, bool]] = []
        hourly = []
        for h in range(hours):
            at = START + h * HOUR
            hourly.append(rate(mean, at, day_factors[day_index(at)]))
            drawn = rate(mean, at, day_factors[day_index(at)], holidays=False)
            hour = [(t, rng.random() < NEGATIVE_SHARE) for t in _poisson_times(rng, drawn, at, HOUR)]
            events += [e for e in hour if hourly[-1] == drawn or thinning.random() < hourly[-1] / drawn]
        for week in range(1, weeks):  # the first week is history for both detectors
            start = START + week * 7 * 24 * HOUR + timedelta(minutes=rng.randrange(7 * 24 * 60))
            length = timedelta(hours=rng.uniform(*INCIDENT_HOURS))
            size = math.exp(rng.uniform(*(math.log(r) for r in INCIDENT_RATE)))
            onset, negative = rng.choice(ONSETS), rng.uniform(*INCIDENT_NEGATIVE)
            if start + length > end:
                continue
            incident = Incident(theme, start, start + length, size, onset)
            size *= _visible(incident, mean, day_factors)
            incident = Incident(theme, start, start + length, size, onset)
            step = timedelta(minutes=5)  # the ramp in steps of five minutes
            at, extra = start, []
            while at < incident.end:
                piece = min(step, incident.end - at)
                per_hour = scale * size * strength(incident, at + piece / 2)
                extra += [(t, rng.random() < negative) for t in _poisson_times(rng, per_hour, at, piece)]
                at += piece
            events += extra
            normal, _ = _expected(incident, mean, day_factors, 2 * HOUR)
            incidents.append(Incident(theme, start, start + length, size, onset, normal,
                                      sum(1 for t, _ in extra if t < start + 2 * HOUR)))
        events.sort()
        streams[theme] = Stream([t for t, _ in events], [t for t, negative in events if negative], hourly)
    return streams, incidents


def _expected(incident: Incident, mean: float, day_factors: list[float], span: timedelta) -> tuple[float, float]:
    """The normal stories and the incident's extra stories expected in its first `span` (or its life)."""
    normal = extra = 0.0
    step = timedelta(minutes=5)
    at, until = incident.start, min(incident.end, incident.start + span)
    while at < until:
        piece = min(step, until - at) / HOUR
        normal += rate(mean, at, day_factors[day_index(at)]) * piece
        extra += incident.rate * strength(incident, at) * piece
        at += step
    return normal, extra


def _visible(incident: Incident, mean: float, day_factors: list[float]) -> float:
    """How much an incident must grow to be one: in its first two hours (or its life, when shorter) at
    least VISIBLE standard deviations of its theme's normal traffic then, and MIN_EXTRA stories."""
    normal, extra = _expected(incident, mean, day_factors, 2 * HOUR)
    spread = math.sqrt(normal + (DAY_SPREAD * normal) ** 2)
    return max(1.0, VISIBLE * spread / extra, MIN_EXTRA / extra)


def _poisson_times(rng: random.Random, per_hour: float, at: datetime, span: timedelta) -> list[datetime]:
    hours = span / HOUR
    out, t = [], rng.expovariate(per_hour) if per_hour > 0 else hours + 1
    while t < hours:
        out.append(at + t * HOUR)
        t += rng.expovariate(per_hour)
    return out


def old_detector(stream: Stream, history_start: datetime, settings: Alerts):
    """The detector before issue 15: a plain mean of the 24 h / 14 d before, `sensitivity` x it."""
    def fires(now: datetime, since: datetime | None) -> bool:
        for times in (stream.times, stream.negative):
            for _, recent_span, base_span in OLD:
                split = now - recent_span
                span = min(base_span, split - history_start)
                if span < 2 * recent_span:
                    continue
                expected = count(times, split - span, split) / (span / recent_span)
                recent = count(times, split, now)
                if recent >= settings.min_posts and recent >= settings.sensitivity * max(expected, 1.0):
                    return True
        return False
    return fires


def new_detector(stream: Stream, history_start: datetime, settings: Alerts):
    """core.analytics.signals on all stories and on the negative ones, as the analytics job runs it;
    one Seasonal per series keeps the days' profiles it learnt (each from the days before it only)."""
    seasonals = [Seasonal(times, history_start, TZ) for times in (stream.times, stream.negative)]

    def fires(now: datetime, since: datetime | None) -> bool:
        return any(strongest(seasonal, now, settings, since) is not None for seasonal in seasonals)
    return fires


def oracle_detector(stream: Stream, history_start: datetime, settings: Alerts):
    """A yardstick, not a detector: the new test's windows and rules, but against the normal rate as
    drawn (rhythm and day factor known exactly, Poisson). What it cannot find at its false alarms, no
    baseline learnt from history can: the incident is not distinguishable from the noise."""
    hourly = np.concatenate(([0.0], np.cumsum(stream.normal)))
    series = [(np.array([t.timestamp() for t in times]), share)
              for times, share in ((stream.times, 1.0), (stream.negative, NEGATIVE_SHARE))]
    origin = START.timestamp()

    def normal(epochs: np.ndarray) -> np.ndarray:  # expected normal stories from START to each moment
        return np.interp((epochs - origin) / 3600, np.arange(len(hourly)), hourly)

    def fires(now: datetime, since: datetime | None) -> bool:
        end = now.timestamp()
        starts = end - STEP.total_seconds() * np.arange(1, STEPS + 1)
        starts = starts[starts >= (since.timestamp() if since else -np.inf)]
        for epochs, share in series:
            recent = np.searchsorted(epochs, end) - np.searchsorted(epochs, starts)
            expected = share * (normal(np.array([end]))[0] - normal(starts))
            large = (recent >= settings.min_posts) & (recent - np.floor(expected) >= settings.min_posts)
            if large.any() and poisson.sf(recent[large] - 1, expected[large]).min() < \
                    settings.significance / (SERIES * STEPS):
                return True
        return False
    return fires


DETECTORS = {"old": old_detector, "new": new_detector, "oracle": oracle_detector}


def replay(make, streams, incidents, weeks: int, every: timedelta, settings: Alerts) -> tuple[list[dict], list]:
    """Per week: incidents, found, found within 2 h, delays (minutes), false alarms and repeats."""
    weekly: list[dict] = [{"incidents": 0, "found": 0, "within_2h": 0, "delays": [], "false_alarms": 0,
                           "repeats": 0, "false": []} for _ in range(weeks)]
    for incident in incidents:
        weekly[(incident.start - START).days // 7]["incidents"] += 1
    missed = []
    for theme, stream in streams.items():
        history_start = stream.times[0]
        fires = make(stream, history_start, settings)
        own = [i for i in incidents if i.theme == theme]
        detected: dict[Incident, float] = {}
        last_alert = None
        now = START + every
        while now <= START + weeks * 7 * 24 * HOUR:
            if (last_alert is None or now - last_alert >= COOLDOWN) and fires(now, last_alert):
                last_alert = now
                week = weekly[min((now - START).days // 7, weeks - 1)]
                hit = next((i for i in own if i.start <= now <= i.end + HOUR), None)
                if hit is None:
                    after = any(i.end < now <= i.end + 24 * HOUR for i in own)
                    week["repeats" if after else "false_alarms"] += 1
                    if not after:
                        week["false"].append((theme, now))
                elif hit not in detected:
                    delay = (now - hit.start) / timedelta(minutes=1)
                    detected[hit] = delay
                    target = weekly[(hit.start - START).days // 7]
                    target["found"] += 1
                    target["within_2h"] += delay <= 120
                    target["delays"].append(delay)
            now += every
        missed += [i for i in own if detected.get(i, 1e9) > 120]
    return weekly, missed


def totals(weekly: list[dict]) -> dict:
    delays = [d for w in weekly for d in w["delays"]]
    return {
        "incidents": sum(w["incidents"] for w in weekly), "found": sum(w["found"] for w in weekly),
        "within_2h": sum(w["within_2h"] for w in weekly), "median": _median(delays),
        "max": f"{max(delays, default=0):.0f}m", "false": sum(w["false_alarms"] for w in weekly),
        "worst_week": max((w["false_alarms"] for w in weekly), default=0),
        "repeats": sum(w["repeats"] for w in weekly),
    }


def run(weeks: int, seed: int, every: timedelta, settings: Alerts, scale: float = 1.0) -> dict:
    streams, incidents = traffic(weeks, random.Random(seed), scale)
    results = {name: replay(make, streams, incidents, weeks, every, settings) for name, make in DETECTORS.items()}
    return {"streams": streams, "incidents": incidents, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="*", help="several seeds: one summary line each")
    parser.add_argument("--every", type=int, default=5, help="minutes between detector runs (default 5)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the incidents' size (default 1)")
    parser.add_argument("--sensitivity", type=float, default=Alerts().sensitivity)
    parser.add_argument("--min-posts", type=int, default=Alerts().min_posts)
    parser.add_argument("--significance", type=float, default=Alerts().significance)
    args = parser.parse_args(argv)

    settings = Alerts(sensitivity=args.sensitivity, min_posts=args.min_posts, significance=args.significance)
    every = timedelta(minutes=args.every)
    print(f"{args.weeks} weeks from {START.astimezone(TZ):%Y-%m-%d} (a Monday, {TZ.key}; summer time begins on "
          f"29 March), themes {THEMES} stories/hour; incidents {INCIDENT_HOURS[0]:g}-{INCIDENT_HOURS[1]:g} h, "
          f"{INCIDENT_RATE[0] * args.scale:g}-{INCIDENT_RATE[1] * args.scale:g} extra stories/h; sensitivity "
          f"{settings.sensitivity}, min_posts {settings.min_posts}, significance {settings.significance}; "
          f"a run every {args.every} min")
    if args.seeds:
        print(f"{'seed':>4} {'incidents':>9} | {'old: found':>10} {'<=2h':>4} {'median':>6} {'max':>5} {'false':>5} "
              f"{'/wk max':>7} | {'new: found':>10} {'<=2h':>4} {'median':>6} {'max':>5} {'false':>5} {'/wk max':>7} "
              f"| {'oracle: <=2h':>12} {'false':>5} {'/wk max':>7}")
        sums = {name: {"incidents": 0, "within_2h": 0, "false": 0, "worst_week": 0} for name in DETECTORS}
        notes: list[str] = []
        for seed in args.seeds:
            outcome = run(args.weeks, seed, every, settings, args.scale)
            old, new, oracle = (totals(outcome["results"][n][0]) for n in DETECTORS)
            print(f"{seed:>4} {old['incidents']:>9} | " + " | ".join(
                f"{t['found']:>10} {t['within_2h']:>4} {t['median']:>6} {t['max']:>5} {t['false']:>5} "
                f"{t['worst_week']:>7}" for t in (old, new))
                + f" | {oracle['within_2h']:>12} {oracle['false']:>5} {oracle['worst_week']:>7}")
            for name, t in zip(DETECTORS, (old, new, oracle)):
                for key in ("incidents", "within_2h", "false"):
                    sums[name][key] += t[key]
                sums[name]["worst_week"] = max(sums[name]["worst_week"], t["worst_week"])
            notes += [f"{seed:>4} {line}" for line in _notes(outcome["results"])]
        weeks = args.weeks * len(args.seeds)
        for name, t in sums.items():
            print(f"{name}: within 2 h {t['within_2h']}/{t['incidents']}; false alarms {t['false']} in {weeks} weeks "
                  f"({t['false'] / weeks:.2f} a week, at most {t['worst_week']} in one week)")
        print("\n".join(notes))
        return 0

    outcome = run(args.weeks, args.seed, every, settings, args.scale)
    streams, incidents, results = outcome["streams"], outcome["incidents"], outcome["results"]
    print(f"seed {args.seed}: {sum(len(s.times) for s in streams.values())} stories, {len(incidents)} incidents")
    print(f"{'week':>4} {'incidents':>9} | {'old: found':>10} {'<=2h':>4} {'delay':>6} {'false':>5} "
          f"| {'new: found':>10} {'<=2h':>4} {'delay':>6} {'false':>5}")
    for week in range(args.weeks):
        old, new = (results[n][0][week] for n in ("old", "new"))
        print(f"{week + 1:>4} {old['incidents']:>9} | " + " | ".join(
            f"{w['found']:>10} {w['within_2h']:>4} {_median(w['delays']):>6} {w['false_alarms']:>5}" for w in (old, new)))
    for name in DETECTORS:
        t = totals(results[name][0])
        print(f"{name}: found {t['found']}/{t['incidents']}, within 2 h {t['within_2h']}, median delay {t['median']}, "
              f"max {t['max']}; false alarms {t['false']} in {args.weeks} weeks ({t['false'] / args.weeks:.2f} a week, "
              f"at most {t['worst_week']} in one week); repeats {t['repeats']}")
    clear = [i for i in incidents if i.z >= CLEAR]
    for name in ("old", "new"):
        missed = set(results[name][1])
        print(f"{name}: of the {len(clear)} incidents that stood out by {CLEAR:g} sd or more in their first two "
              f"hours as drawn, {sum(1 for i in clear if i not in missed)} found within 2 h")
    print("\n".join(_notes(results)))
    return 0


def _notes(results: dict) -> list[str]:
    """The new detector's false alarms, and the incidents it did not find within 2 h (with their size
    as drawn, and whether the oracle found them)."""
    notes = [f"  new: false alarm: {theme} {at.astimezone(TZ):%a %d %b %H:%M}"
             for week in results["new"][0] for theme, at in week["false"]]
    oracle_missed = set(results["oracle"][1])
    for incident in results["new"][1]:
        notes.append(f"  new: not within 2 h: {incident.theme} {incident.start.astimezone(TZ):%a %d %b %H:%M}, "
                     f"{(incident.end - incident.start) / HOUR:.1f} h, {incident.rate:.1f}/h, {incident.onset}: first "
                     f"2 h {incident.extra} extra stories on {incident.normal:.1f} normal ({incident.z:.1f} sd); the "
                     f"oracle {'missed it too' if incident in oracle_missed else 'found it'}")
    return notes


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}m" if values else "-"


if __name__ == "__main__":
    sys.exit(main())

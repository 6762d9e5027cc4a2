"""Backtest of theme spike detection: eight weeks of synthetic traffic with a daily and weekly rhythm
and injected incidents, replayed through the old detector and the new one side by side.

    python benchmarks/signals_backtest.py [--weeks 8] [--seed 15] [--every 5] [--sensitivity 3]
                                          [--min-posts 5] [--significance 0.001]

Traffic: three themes (a busy, a middling and a quiet one), each a Poisson stream of stories whose rate
follows the hour of the day (night 0.15x, the weekday morning peak 2.4x the daily mean) and the day of
the week (weekends about half of a weekday), times a per-day factor (gamma, 20% spread) for the days
that are simply busier. Incidents: one per theme per week at a random moment (mornings, nights and
weekends alike), three hours of 6-12 extra stories an hour, the first hour at half strength.

Both detectors run every `--every` minutes, as the analytics job does, on the stories seen so far:
- old: the last hour against the mean of the 24 hours before, the last day against the 14 days before,
  firing at `sensitivity` x the mean and `min_posts` (the code before issue 15);
- new: core.analytics.emerging.baseline / fires (the same hour of the week over the last four weeks,
  the plain mean while history is shorter; the rise also significant at `significance`).
An alert opens at most once per theme per cooldown (6 h), as run_alerts does. An alert from an
incident's start until an hour after its end detects it; a later one within a day of its end (the
day's window still holds it) is a repeat; any other alert is a false alarm.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.analytics.emerging import COMPARISONS, Baseline, _count, baseline, fires  # noqa: E402
from core.config.watch import Alerts  # noqa: E402

START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday
HOUR = timedelta(hours=1)
COOLDOWN = timedelta(hours=6)
# Mean stories per hour of each theme, over the whole week.
THEMES = {"afval": 2.0, "verkeer": 0.8, "veiligheid": 0.25}
DAILY = [0.15, 0.15, 0.15, 0.15, 0.15, 0.2, 0.4, 0.8, 2.0, 2.4, 1.8, 1.3,
         1.3, 1.3, 1.3, 1.3, 1.3, 1.5, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3]
WEEKLY = [1.15, 1.15, 1.15, 1.15, 1.15, 0.7, 0.55]
DAY_SPREAD = 0.2
INCIDENT_HOURS = 3
INCIDENT_RATE = (6.0, 12.0)


@dataclass(frozen=True)
class Incident:
    theme: str
    start: datetime
    end: datetime


def rate(mean: float, at: datetime, day_factor: float) -> float:
    daily = DAILY[at.hour] / (sum(DAILY) / 24)
    weekly = WEEKLY[at.weekday()] / (sum(WEEKLY) / 7)
    return mean * daily * weekly * day_factor


def traffic(weeks: int, rng: random.Random) -> tuple[dict[str, list[datetime]], list[Incident]]:
    """{theme: sorted story times}, and the incidents injected into them."""
    hours = weeks * 7 * 24
    times: dict[str, list[datetime]] = {}
    incidents = []
    for theme, mean in THEMES.items():
        day_factors = [rng.gammavariate(1 / DAY_SPREAD**2, DAY_SPREAD**2) for _ in range(weeks * 7)]
        events = []
        for h in range(hours):
            at = START + h * HOUR
            events += _poisson_times(rng, rate(mean, at, day_factors[h // 24]), at)
        for week in range(weeks):
            start = START + week * 7 * 24 * HOUR + timedelta(minutes=rng.randrange(7 * 24 * 60))
            if week == 0 or start + INCIDENT_HOURS * HOUR > START + hours * HOUR:
                continue  # the first week is history for both detectors
            extra = rng.uniform(*INCIDENT_RATE)
            incidents.append(Incident(theme, start, start + INCIDENT_HOURS * HOUR))
            for h in range(INCIDENT_HOURS):
                events += _poisson_times(rng, extra / 2 if h == 0 else extra, start + h * HOUR)
        times[theme] = sorted(events)
    return times, incidents


def _poisson_times(rng: random.Random, per_hour: float, at: datetime) -> list[datetime]:
    out, t = [], rng.expovariate(per_hour) if per_hour > 0 else 2.0
    while t < 1.0:
        out.append(at + t * HOUR)
        t += rng.expovariate(per_hour)
    return out


def old_fires(times: list[datetime], now: datetime, history_start: datetime, settings: Alerts) -> bool:
    """The detector before issue 15: a plain mean of the 24 h / 14 d before, `sensitivity` x it."""
    for comparison in COMPARISONS:
        split = now - comparison.recent
        span = min(comparison.baseline, split - history_start)
        if span < 2 * comparison.recent:
            continue
        base = Baseline("old", _count(times, split - span, split), span / comparison.recent)
        recent = _count(times, split, now)
        if recent >= settings.min_posts and recent >= settings.sensitivity * max(base.expected, 1.0):
            return True
    return False


def new_fires(times: list[datetime], now: datetime, history_start: datetime, settings: Alerts) -> bool:
    for comparison in COMPARISONS:
        base = baseline(times, now, comparison, history_start)
        if base is not None and fires(_count(times, now - comparison.recent, now), base, settings):
            return True
    return False


def replay(detector, times, incidents, weeks: int, every: timedelta, settings: Alerts) -> dict:
    """Per week: incidents, found, found within 2 h, delays (minutes) and false alarms."""
    weekly = [{"incidents": 0, "found": 0, "within_2h": 0, "delays": [], "false_alarms": 0, "repeats": 0}
              for _ in range(weeks)]
    for incident in incidents:
        weekly[(incident.start - START).days // 7]["incidents"] += 1
    for theme, events in times.items():
        history_start = events[0]
        own = [i for i in incidents if i.theme == theme]
        detected: set[Incident] = set()
        last_alert = None
        now = START + every
        while now <= START + weeks * 7 * 24 * HOUR:
            if (last_alert is None or now - last_alert >= COOLDOWN) and detector(events, now, history_start, settings):
                last_alert = now
                week = weekly[min((now - START).days // 7, weeks - 1)]
                hit = next((i for i in own if i.start <= now <= i.end + HOUR), None)
                if hit is None:
                    after = any(i.end < now <= i.end + 24 * HOUR for i in own)
                    week["repeats" if after else "false_alarms"] += 1
                elif hit not in detected:
                    detected.add(hit)
                    delay = (now - hit.start) / timedelta(minutes=1)
                    target = weekly[(hit.start - START).days // 7]
                    target["found"] += 1
                    target["within_2h"] += delay <= 120
                    target["delays"].append(delay)
            now += every
    return {"weekly": weekly}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--every", type=int, default=5, help="minutes between detector runs (default 5)")
    parser.add_argument("--sensitivity", type=float, default=Alerts().sensitivity)
    parser.add_argument("--min-posts", type=int, default=Alerts().min_posts)
    parser.add_argument("--significance", type=float, default=Alerts().significance)
    args = parser.parse_args(argv)

    settings = Alerts(sensitivity=args.sensitivity, min_posts=args.min_posts, significance=args.significance)
    times, incidents = traffic(args.weeks, random.Random(args.seed))
    every = timedelta(minutes=args.every)
    print(f"{args.weeks} weeks from {START:%Y-%m-%d} (a Monday), themes {THEMES} stories/hour, "
          f"{sum(len(t) for t in times.values())} stories, {len(incidents)} incidents; "
          f"sensitivity {settings.sensitivity}, min_posts {settings.min_posts}, significance {settings.significance}")
    results = {name: replay(detector, times, incidents, args.weeks, every, settings)
               for name, detector in (("old", old_fires), ("new", new_fires))}
    print(f"{'week':>4} {'incidents':>9} | {'old: found':>10} {'<=2h':>4} {'delay':>6} {'false':>5} "
          f"| {'new: found':>10} {'<=2h':>4} {'delay':>6} {'false':>5}")
    for week in range(args.weeks):
        old, new = (results[n]["weekly"][week] for n in ("old", "new"))
        print(f"{week + 1:>4} {old['incidents']:>9} | " + " | ".join(
            f"{w['found']:>10} {w['within_2h']:>4} {_median(w['delays']):>6} {w['false_alarms']:>5}" for w in (old, new)))
    for name in ("old", "new"):
        weekly = results[name]["weekly"]
        delays = [d for w in weekly for d in w["delays"]]
        seasonal = weekly[4:]  # from week 5 the new detector has its four weeks of history
        print(f"{name}: found {sum(w['found'] for w in weekly)}/{len(incidents)}, "
              f"within 2 h {sum(w['within_2h'] for w in weekly)}, median delay {_median(delays)}, "
              f"max {max(delays, default=0):.0f} min; repeats {sum(w['repeats'] for w in weekly)}; "
              f"false alarms {sum(w['false_alarms'] for w in weekly)} "
              f"(weeks 5-{args.weeks}: {sum(w['false_alarms'] for w in seasonal)}, "
              f"at most {max((w['false_alarms'] for w in seasonal), default=0)} a week)")
    return 0


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}m" if values else "-"


if __name__ == "__main__":
    sys.exit(main())

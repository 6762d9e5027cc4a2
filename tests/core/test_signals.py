"""The sequential spike test on crafted event streams (core.analytics.signals), no store needed."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from core.analytics.signals import Seasonal, strongest
from core.config.watch import Alerts

CITY = ZoneInfo("Europe/Amsterdam")
SETTINGS = Alerts()  # min_posts 5, significance 0.001
MINUTE = timedelta(minutes=1)


def _rhythm(first: datetime, until: datetime, extra: list[datetime] = ()) -> list[datetime]:
    """A city's week, by its local clock: on weekdays six stories an hour from 8 to 10, one every two
    hours the rest of the day; at weekends one every three hours."""
    times = []
    day = first
    while day < until:
        weekday = day.weekday() < 5
        for hour in range(24):
            if weekday and hour in (8, 9):
                minutes = (5, 15, 25, 35, 45, 55)
            elif hour % (2 if weekday else 3) == 1:
                minutes = (30,)
            else:
                continue
            for minute in minutes:
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CITY)
                if moment < until:
                    times.append(moment.astimezone(timezone.utc))
        day += timedelta(days=1)
    return sorted(times + [t.astimezone(timezone.utc) for t in extra])


def _detect(times, now, since=None):
    """The test now, with history from the local midnight before the first story (the store's start)."""
    first = times[0].astimezone(CITY).replace(hour=0, minute=0)
    return strongest(Seasonal(times, first, CITY), now.astimezone(timezone.utc), SETTINGS, since)


def test_a_weekday_morning_rise_is_no_signal():
    start = datetime(2026, 10, 26, tzinfo=CITY)  # a Monday, after summer time
    now = datetime(2026, 11, 23, 9, 50, tzinfo=CITY)  # four weeks later, a Monday morning
    times = _rhythm(start, now)
    # against the plain mean of the day before (a quiet Sunday) the last hour is a rise: the old rule fired
    hour = sum(1 for t in times if now - timedelta(hours=1) <= t < now)
    sunday = sum(1 for t in times if now - timedelta(hours=25) <= t < now - timedelta(hours=1)) / 24
    assert hour >= SETTINGS.min_posts and hour >= SETTINGS.sensitivity * max(sunday, 1.0)
    # the profile knows weekday mornings
    assert _detect(times, now) is None


def test_an_incident_on_a_weekday_morning_is_a_signal():
    start = datetime(2026, 10, 26, tzinfo=CITY)
    now = datetime(2026, 11, 23, 9, 50, tzinfo=CITY)
    incident = [now - timedelta(minutes=2 + 3 * k) for k in range(15)]  # fifteen more in the last 45 minutes
    evidence = _detect(_rhythm(start, now, incident), now)
    assert evidence is not None and evidence.p_value < SETTINGS.significance
    assert now - timedelta(minutes=50) <= evidence.since <= now - timedelta(minutes=40)
    assert evidence.recent >= 19 and 4 < evidence.expected < 6
    assert evidence.window.name == "1h" and evidence.baseline == "28d"


def test_summer_time_does_not_shift_the_rhythm():
    # summer time begins on Sunday 29 March: on Monday the morning peak comes an hour earlier in UTC
    start = datetime(2026, 3, 2, tzinfo=CITY)
    now = datetime(2026, 3, 30, 8, 50, tzinfo=CITY)
    times = _rhythm(start, now)
    assert _detect(times, now) is None
    # the 8 o'clock hour is expected at 8 local time, as before the change: five or six stories
    seasonal = Seasonal(times, times[0], CITY)
    morning = seasonal.expected(datetime(2026, 3, 30, 8, tzinfo=CITY), datetime(2026, 3, 30, 9, tzinfo=CITY))
    assert morning is not None and 5 < morning <= 6
    # a detector on UTC hours would have expected the night's one story then, and fired
    assert seasonal.expected(datetime(2026, 3, 27, 8, tzinfo=CITY), datetime(2026, 3, 27, 9, tzinfo=CITY)) > 5


def test_short_history_falls_back_to_the_plain_mean():
    start = datetime(2026, 11, 2, tzinfo=CITY)  # a Monday
    # less than a whole day before: no baseline, so nothing can rise
    young = _rhythm(start + timedelta(hours=6), datetime(2026, 11, 2, 12, tzinfo=CITY))
    assert Seasonal(young, young[0], CITY).expected(
        datetime(2026, 11, 2, 11, tzinfo=CITY), datetime(2026, 11, 2, 12, tzinfo=CITY)) is None
    # two whole days: the hours' own counts, and for the hours they say little about the plain mean
    times = _rhythm(start, datetime(2026, 11, 4, 12, tzinfo=CITY))
    seasonal = Seasonal(times, start, CITY)
    plain = len([t for t in times if t < datetime(2026, 11, 4, tzinfo=CITY)]) / 48
    night = seasonal.expected(datetime(2026, 11, 4, 4, tzinfo=CITY), datetime(2026, 11, 4, 5, tzinfo=CITY))
    assert night is not None and abs(night - plain * 0.5 / 2.5) < 0.01  # no story at 4 o'clock on either day


def test_a_past_incident_does_not_hide_a_new_one():
    start = datetime(2026, 10, 26, tzinfo=CITY)
    now = datetime(2026, 11, 23, 15, 0, tzinfo=CITY)
    last_week = datetime(2026, 11, 16, 15, 0, tzinfo=CITY)
    past = [last_week - timedelta(minutes=2 + 3 * k) for k in range(18)]
    today = [now - timedelta(minutes=2 + 5 * k) for k in range(8)]
    evidence = _detect(_rhythm(start, now, past + today), now)
    assert evidence is not None and evidence.expected < 1.5


def test_a_rise_must_be_of_some_size_and_significant():
    start = datetime(2026, 10, 26, tzinfo=CITY)
    now = datetime(2026, 11, 23, 15, 0, tzinfo=CITY)
    # four stories in a quiet afternoon hour is unusual, but fewer than min_posts
    assert _detect(_rhythm(start, now, [now - timedelta(minutes=10 * k + 5) for k in range(3)]), now) is None
    # six more in the hour is both
    assert _detect(_rhythm(start, now, [now - timedelta(minutes=8 * k + 5) for k in range(6)]), now) is not None


def test_after_an_alert_the_test_starts_again():
    start = datetime(2026, 10, 26, tzinfo=CITY)
    now = datetime(2026, 11, 23, 15, 0, tzinfo=CITY)
    times = _rhythm(start, now, [now - timedelta(minutes=30 + 3 * k) for k in range(10)])
    assert _detect(times, now) is not None
    # an alert a quarter of an hour ago: the stories before it are what it was about
    assert _detect(times, now, since=(now - timedelta(minutes=15)).astimezone(timezone.utc)) is None

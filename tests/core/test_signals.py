"""The sequential spike test on crafted event streams (core.analytics.signals), no store needed."""
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from core.analytics import signals
from core.analytics.signals import Seasonal, is_holiday, strongest
from core.config.watch import Alerts

CITY = ZoneInfo("Europe/Amsterdam")
SETTINGS = Alerts()  # min_posts 5, significance 0.001
MINUTE = timedelta(minutes=1)


def _rhythm(first: datetime, until: datetime, extra: Sequence[datetime] = ()) -> list[datetime]:
    """A city's week, by its local clock: on weekdays six stories an hour from 8 to 10, one every two
    hours the rest of the day; at weekends one every three hours."""
    times = []
    day = first
    while day < until:
        weekday = day.weekday() < 5
        for hour in range(24):
            minutes: tuple[int, ...]
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


def _holiday_rhythm(first: datetime, until: datetime, extra: Sequence[datetime] = ()) -> list[datetime]:
    """_rhythm, with public holidays as quiet as a weekend day (as a city is on them)."""
    times = []
    day = first
    while day < until:
        following = day + timedelta(days=1)
        if is_holiday(day.date()):
            # a weekend day: one story every three hours
            times += [datetime(day.year, day.month, day.day, h, 30, tzinfo=CITY).astimezone(timezone.utc)
                      for h in range(1, 24, 3) if datetime(day.year, day.month, day.day, h, 30, tzinfo=CITY) < until]
        else:
            times += _rhythm(day, min(following, until))
        day = following
    return sorted(times + [t.astimezone(timezone.utc) for t in extra])


def test_a_public_holiday_is_a_sunday():
    # Koningsdag (Monday 27 April 2026) and Easter Monday (6 April) are quiet like a Sunday
    assert is_holiday(date(2026, 4, 27)) and is_holiday(date(2026, 4, 6)) and is_holiday(date(2026, 12, 25))
    assert not is_holiday(date(2026, 4, 3))  # Good Friday: most work
    assert not is_holiday(date(2026, 4, 28))
    start = datetime(2026, 3, 30, tzinfo=CITY)  # a Monday
    now = datetime(2026, 4, 27, 9, 50, tzinfo=CITY)
    seasonal = Seasonal(_holiday_rhythm(start, now), start.astimezone(timezone.utc), CITY)
    # the morning peak is not expected on Koningsdag: its morning is a Sunday's (no false rise expected,
    # so a quiet morning is no drop either)
    holiday = seasonal.expected(datetime(2026, 4, 27, 8, tzinfo=CITY), datetime(2026, 4, 27, 10, tzinfo=CITY))
    sunday = seasonal.expected(datetime(2026, 4, 26, 8, tzinfo=CITY), datetime(2026, 4, 26, 10, tzinfo=CITY))
    monday = seasonal.expected(datetime(2026, 4, 20, 8, tzinfo=CITY), datetime(2026, 4, 20, 10, tzinfo=CITY))
    assert holiday is not None and sunday is not None and monday is not None
    assert holiday < 2 and abs(holiday - sunday) < 0.5 and monday > 10
    # so seven stories in its last 50 minutes are a rise, where on a weekday morning they are normal
    incident = [now - timedelta(minutes=3 + 7 * k) for k in range(7)]
    evidence = _detect(_holiday_rhythm(start, now, incident), now)
    assert evidence is not None and evidence.expected < 2
    # and Easter Monday in the history does not lower the weekdays' mornings: it counts as a Sunday
    assert monday > 11.5


def test_a_past_incident_in_a_quiet_hour_does_not_raise_that_hour():
    start = datetime(2026, 10, 26, tzinfo=CITY)
    now = datetime(2026, 11, 23, 15, 0, tzinfo=CITY)
    # twelve stories at 2 o'clock on a Tuesday night, an hour that holds none on the other days
    night = datetime(2026, 11, 10, 2, 0, tzinfo=CITY)
    past = [night + timedelta(minutes=4 * k + 1) for k in range(12)]
    seasonal = Seasonal(_rhythm(start, now, past), start.astimezone(timezone.utc), CITY)
    later = seasonal.expected(datetime(2026, 11, 23, 2, tzinfo=CITY), datetime(2026, 11, 23, 3, tzinfo=CITY))
    # counted as the other nights' (almost nothing), not as the most they make plausible (two or three
    # stories, a tenth of a story more on every later weekday night)
    assert later is not None and later < 0.05


def test_a_quiet_themes_day_spread_stays_near_the_prior():
    # three stories a day, every day alike: a handful of stories says little about how days differ
    start = datetime(2026, 10, 26, tzinfo=CITY)
    times = sorted(datetime(2026, 10, 26, h, 15, tzinfo=CITY).astimezone(timezone.utc) + timedelta(days=d)
                   for d in range(28) for h in (9, 13, 20))
    seasonal = Seasonal(times, start.astimezone(timezone.utc), CITY)
    # (from the days alone, far less than Poisson noise: the least spread allowed, 10%)
    assert 0.15**2 < seasonal.day(date(2026, 11, 23)).dispersion < 0.25**2


def _office_hours(first: datetime, until: datetime, extra: Sequence[datetime] = ()) -> list[datetime]:
    """Stories from 9 to 17 only: four an hour on weekdays, two at the weekend (the same shape)."""
    times = []
    day = first
    while day < until:
        per_hour = 4 if day.weekday() < 5 else 2
        for hour in range(9, 17):
            for k in range(per_hour):
                moment = datetime(day.year, day.month, day.day, hour, 7 + k * 60 // per_hour, tzinfo=CITY)
                if moment < until:
                    times.append(moment.astimezone(timezone.utc))
        day += timedelta(days=1)
    return sorted(times + [t.astimezone(timezone.utc) for t in extra])


def test_the_first_weekend_learns_its_shape_from_the_weekdays_too(monkeypatch):
    start = datetime(2026, 11, 2, tzinfo=CITY)  # a Monday
    now = datetime(2026, 11, 8, 14, 0, tzinfo=CITY)  # the first Sunday: one Saturday of weekend history
    incident = [now - timedelta(minutes=3 + 50 * k / 13) for k in range(13)]
    times = _office_hours(start, now, incident)
    evidence = _detect(times, now)
    assert evidence is not None and evidence.expected < 2.5
    # the one Saturday alone knows the afternoon hour too roughly to tell this rise from noise
    monkeypatch.setattr(signals, "SHARED_DAYS", 0.0)
    assert _detect(times, now) is None

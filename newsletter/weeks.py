"""ISO weeks in local time: '2026-W47' -> the Monday 00:00 to Monday 00:00 it covers in Europe/Amsterdam.

A newsletter is about a week as the people in the city lived it, so the week starts at local midnight
(a DST week is 167 or 169 hours long), and the week before is the previous ISO week, not "168 hours
earlier".
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


def zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def parse_week(week: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47); ValueError with a readable message for anything else."""
    match = _WEEK.match(week.strip()) if isinstance(week, str) else None
    if not match:
        raise ValueError(f"week must look like 2026-W47 (ISO year, 'W', two-digit week), got {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{week!r} does not exist: ISO year {year} has no week {number}") from None
    return year, number


def week_name(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def monday(week: str) -> date:
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, 1)


def week_range(week: str, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """Aware (since, until) of the week in `tz`: Monday 00:00 up to the next Monday 00:00."""
    start = monday(week)
    local = zone(tz)
    return (datetime.combine(start, time(), tzinfo=local),
            datetime.combine(start + timedelta(days=7), time(), tzinfo=local))


def previous_week(week: str) -> str:
    return week_name(monday(week) - timedelta(days=7))


def week_of(moment: datetime, tz: str | ZoneInfo) -> str:
    return week_name(moment.astimezone(zone(tz)).date())


def last_full_week(now: datetime, tz: str | ZoneInfo) -> str:
    """The ISO week before the one `now` falls in: what a newsletter sent today is about."""
    return previous_week(week_of(now, tz))


def latest_send(now: datetime, send_day: str, send_time: str, tz: str | ZoneInfo) -> datetime:
    """The most recent scheduled send moment at or before `now` (e.g. the last Monday 08:00)."""
    local = zone(tz)
    hour, minute = (int(part) for part in send_time.split(":"))
    today = now.astimezone(local).date()
    day = today - timedelta(days=(today.weekday() - DAYS.index(send_day)) % 7)
    moment = datetime.combine(day, time(hour, minute), tzinfo=local)
    if moment > now:
        moment = datetime.combine(day - timedelta(days=7), time(hour, minute), tzinfo=local)
    return moment


def period_label(week: str) -> str:
    """'16 – 22 november 2026', or '28 december 2026 – 3 januari 2027' across a year."""
    first = monday(week)
    last = first + timedelta(days=6)
    if first.year != last.year:
        return f"{first.day} {MONTHS[first.month - 1]} {first.year} – {last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.month != last.month:
        return f"{first.day} {MONTHS[first.month - 1]} – {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{first.day} – {last.day} {MONTHS[last.month - 1]} {last.year}"

"""Dates as Dutch forums write them: "21 november 2026 14:05", "za 21 nov. 2026 om 14.05 uur",
"21-11-2026 14:05", "gisteren 09:12", "vandaag om 8:30", "5 minuten geleden".

A small parser of our own rather than a general date library: forum dates come in a handful of shapes,
and a guess that is wrong (a month read as a day) is worse than no date.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "febr": 2, "february": 2,
    "maart": 3, "mrt": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "augustus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_FULL_MONTHS = {
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
    "november", "december", "january", "february", "march", "may", "june", "july", "august", "october",
}
_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")
_DUTCH_DAYS = {
    "maandag": "Monday", "dinsdag": "Tuesday", "woensdag": "Wednesday", "donderdag": "Thursday",
    "vrijdag": "Friday", "zaterdag": "Saturday", "zondag": "Sunday",
    "ma": "Mon", "di": "Tue", "wo": "Wed", "do": "Thu", "vr": "Fri", "za": "Sat", "zo": "Sun",
}
_UNITS = {
    "seconde": "seconds", "seconden": "seconds", "sec": "seconds", "s": "seconds",
    "minuut": "minutes", "minuten": "minutes", "min": "minutes", "m": "minutes",
    "uur": "hours", "uren": "hours", "u": "hours",
    "dag": "days", "dagen": "days", "d": "days",
    "week": "weeks", "weken": "weeks", "w": "weeks",
}
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_TEXT_DATE = re.compile(rf"\b(\d{{1,2}})\s*(?:e\s+)?({_MONTH_WORDS})\b\.?,?\s*(\d{{4}})?")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.h]([0-5]\d)(?:[:.]([0-5]\d))?\b")
_AGO = re.compile(r"\b(\d+|een|één|1)\s*(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\.?\s+geleden\b")
_NOW_WORDS = {"zojuist", "net", "nu", "zonet", "zo-even", "zoeven", "just now", "now"}
_RELATIVE_DAYS = (("eergisteren", 2), ("gisteren", 1), ("vandaag", 0))
NOON = time(12)


def parse_dutch_datetime(
    text: str | None, *, now: datetime, tz: tzinfo, date_format: str | None = None
) -> datetime | None:
    """`text` as an aware UTC datetime, read in time zone `tz` relative to `now`; None when unreadable.

    With `date_format` (strptime codes, e.g. "%d %B %Y %H:%M") Dutch month and day names are read as
    %B/%b and %A/%a. A date without a time is taken at noon, so the day survives time zones; one
    without a year is the last such day not after tomorrow.
    """
    if not text or not text.strip():
        return None
    if date_format:
        return _with_format(text, date_format, now=now, tz=tz)
    value = " ".join(text.lower().replace("\u00a0", " ").split())
    local_now = now.astimezone(tz)

    if value in _NOW_WORDS:
        return now.astimezone(timezone.utc)
    ago = _AGO.search(value)
    if ago:
        amount = 1 if ago.group(1) in ("een", "één") else int(ago.group(1))
        return (now - timedelta(**{_UNITS[ago.group(2)]: amount})).astimezone(timezone.utc)

    day, year_given, rest = _find_day(value, local_now.date())
    if day is None:
        return None
    found = _TIME.search(rest)
    moment = time(int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)) if found else NOON
    result = datetime.combine(day, moment, tzinfo=tz)
    if not year_given and result > local_now + timedelta(days=1):
        result = result.replace(year=result.year - 1)
    return result.astimezone(timezone.utc)


def _find_day(value: str, today: date) -> tuple[date | None, bool, str]:
    """(the day, whether the text gave its year, the text without the date) or (None, False, value)."""
    for pattern, order in ((_ISO_DATE, "ymd"), (_NUMERIC_DATE, "dmy")):
        match = pattern.search(value)
        if match:
            if order == "ymd":
                year, month, day = (int(g) for g in match.groups())
            else:
                day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
                year += 2000 if year < 100 else 0
            return _date(year, month, day), True, _cut(value, match)
    match = _TEXT_DATE.search(value)
    if match:
        year = int(match.group(3)) if match.group(3) else today.year
        return _date(year, MONTHS[match.group(2)], int(match.group(1))), bool(match.group(3)), _cut(value, match)
    for word, days_back in _RELATIVE_DAYS:
        if re.search(rf"\b{word}\b", value):
            return today - timedelta(days=days_back), True, value.replace(word, " ")
    return None, False, value


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _cut(value: str, match: re.Match) -> str:
    return value[: match.start()] + " " + value[match.end():]


def _with_format(text: str, date_format: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    english = _to_english(" ".join(text.split()))
    try:
        parsed = datetime.strptime(english, date_format)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if "%Y" not in date_format and "%y" not in date_format:
        local_now = now.astimezone(tz)
        parsed = parsed.replace(year=local_now.year)
        if parsed > local_now + timedelta(days=1):
            parsed = parsed.replace(year=parsed.year - 1)
    return parsed.astimezone(timezone.utc)


def _to_english(text: str) -> str:
    """Dutch month and day names replaced by the English ones strptime knows (%B, %b, %A, %a)."""

    def month(match: re.Match) -> str:
        word = match.group(0).lower().rstrip(".")
        name = _ENGLISH_MONTHS[MONTHS[word] - 1]
        # A full name ("juni", "june") for %B, an abbreviation ("jun", "mrt") for %b; "mei" is both.
        return name if word in _FULL_MONTHS else name[:3]

    def day(match: re.Match) -> str:
        return _DUTCH_DAYS[match.group(0).lower()]

    text = re.sub(rf"\b(?:{_MONTH_WORDS})\b\.?", month, text, flags=re.IGNORECASE)
    return re.sub(r"\b(?:" + "|".join(sorted(_DUTCH_DAYS, key=len, reverse=True)) + r")\b", day, text,
                  flags=re.IGNORECASE)

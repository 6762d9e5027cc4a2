"""Small formats the platforms share: timestamps, slugs, search words, identifiers."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from core.matching import fold

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
_WORDS = re.compile(r"[0-9a-z]+")


def iso_z(moment: datetime) -> str:
    """2025-03-12T13:32:05.123Z, as Mastodon, Bluesky and Discourse write times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_local(moment: datetime) -> str:
    """2025-03-12T14:32:05+01:00: Amsterdam time with its offset, as Dutch web pages write it."""
    return moment.astimezone(AMSTERDAM).replace(microsecond=0).isoformat()


def rfc822(moment: datetime) -> str:
    """Wed, 12 Mar 2025 14:32:05 +0100: an RSS pubDate in Amsterdam time."""
    return format_datetime(moment.astimezone(AMSTERDAM).replace(microsecond=0))


def dutch(moment: datetime) -> str:
    """12 maart 2025, 14:32"""
    local = moment.astimezone(AMSTERDAM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def slugify(text: str, limit: int = 60) -> str:
    return "-".join(_WORDS.findall(fold(text)))[:limit].strip("-") or "bericht"


def words(text: str) -> set[str]:
    """Folded words, for the platforms' search: 'Groningen', '#groningen' and 'GRONINGEN.' are one word."""
    return set(_WORDS.findall(fold(text)))


def matches(query_words: set[str], text: str) -> bool:
    return query_words <= words(text)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def base32(data: bytes) -> str:
    """Lower-case base32 without padding, as DIDs and CIDs use it."""
    return base64.b32encode(data).decode("ascii").lower().rstrip("=")


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode("utf-8")).digest()

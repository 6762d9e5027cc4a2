"""The /berichten query parameters (Dutch, as in the address bar) read into a core PostFilter, with
Dutch messages for what cannot be read; and hit highlighting for the result list."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.store.filters import PostFilter
from core.store.schema import utcnow
from core.vocabulary import CHANNELS, LABELS, UNSCORED

PERIODS = {"24u": ("laatste 24 uur", timedelta(hours=24)), "7d": ("laatste 7 dagen", timedelta(days=7)),
           "30d": ("laatste 30 dagen", timedelta(days=30))}
SORTS = {"nieuwste": "newest", "oudste": "oldest", "relevantie": "relevance", "interactie": "engagement"}
HANDLED = {"ja": True, "nee": False}
FIELDS = ("q", "periode", "since", "until", "kanaal", "bron", "thema", "label", "taal", "afgehandeld", "sortering")


@dataclass
class Search:
    params: dict[str, str]
    filters: PostFilter
    sort: str
    errors: list[str] = field(default_factory=list)


def _day(value: str, name: str, errors: list[str], zone: ZoneInfo, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors.append(f"{name}: '{value}' is geen datum; gebruik jjjj-mm-dd, bijvoorbeeld 2026-11-20.")
        return None
    if not 1900 <= day.year <= 2200:
        errors.append(f"{name}: {value} ligt buiten het bereik 1900–2200.")
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=zone)


def read_search(raw: dict[str, str], tz: str) -> Search:
    """The filter of /berichten?… . Unreadable values are left out and named in `errors`."""
    params = {k: raw.get(k, "").strip()[:200] for k in FIELDS}
    errors: list[str] = []
    zone = ZoneInfo(tz)
    since = _day(params["since"], "Vanaf", errors, zone)
    until = _day(params["until"], "Tot en met", errors, zone, end=True)
    if params["periode"]:
        if params["periode"] in PERIODS:
            since = utcnow() - PERIODS[params["periode"]][1]
        else:
            errors.append(f"Periode: onbekende waarde '{params['periode']}'.")
    if since and until and since >= until:
        errors.append("De begindatum ligt na de einddatum.")
        since = until = None
    checks = {"kanaal": CHANNELS, "label": (*LABELS, UNSCORED), "afgehandeld": tuple(HANDLED),
              "sortering": tuple(SORTS)}
    for name, allowed in checks.items():
        if params[name] and params[name] not in allowed:
            errors.append(f"{name.capitalize()}: onbekende waarde '{params[name]}'.")
            params[name] = ""
    filters = PostFilter(
        q=params["q"] or None, channel=params["kanaal"] or None, source=params["bron"] or None,
        theme=params["thema"] or None, label=params["label"] or None, lang=params["taal"] or None,
        since=since, until=until, handled=HANDLED.get(params["afgehandeld"]),
    )
    # Newest first, also for a search (what a monitoring team wants, and fast at a million posts: ranking
    # every hit by relevance is not); "relevantie" on request.
    sort = SORTS[params["sortering"]] if params["sortering"] else "newest"
    return Search({k: v for k, v in params.items() if v}, filters, sort, errors)


def _terms(q: str | None) -> list[str]:
    words = re.findall(r"\w+", q or "")
    return sorted({w for w in words if len(w) > 1 and w.upper() not in ("AND", "OR", "NOT")}, key=len, reverse=True)


def highlight(text: str | None, q: str | None) -> list[tuple[str, bool]]:
    """`text` as (part, is_hit) pairs: the template marks hits; escaping stays the template's."""
    text = text or ""
    terms = _terms(q)
    if not terms:
        return [(text, False)]
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    at = 0
    for hit in pattern.finditer(text):
        if hit.start() > at:
            parts.append((text[at:hit.start()], False))
        parts.append((hit.group(0), True))
        at = hit.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts

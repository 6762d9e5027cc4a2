"""What the platform spiders (Mastodon, Bluesky, Discourse, Reddit, HTML forums, Facebook, Instagram, X,
YouTube) share, without Scrapy: reading a source's options, secrets from the environment, JSON answers and
error bodies, Link headers, rate-limit and Meta usage headers.

Plain functions, tested on their own (tests/crawlers/test_apis.py).
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from core.config.watch import parse_duration


class OptionError(ValueError):
    """A source option the spider cannot use; the message names the option and what is wrong."""


class Options:
    """Typed access to a source's kind-specific TOML keys; a wrong value raises OptionError."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = dict(values)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise OptionError(f"option {name} must be a string, got {value!r}")
        return value.strip()

    def texts(self, name: str) -> list[str]:
        """A string or a list of strings (`hashtags = "groningen"` or `hashtags = ["groningen", "050"]`)."""
        value = self.values.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise OptionError(f"option {name} must be a string or a list of strings, got {value!r}")
        return [v.strip() for v in value if v.strip()]

    def integer(self, name: str, default: int, low: int = 1, high: int = 1000) -> int:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise OptionError(f"option {name} must be a whole number from {low} to {high}, got {value!r}")
        return value

    def number(self, name: str, default: float | None, low: float = 0, high: float = 3600) -> float | None:
        value = self.values.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise OptionError(f"option {name} must be a number from {low:g} to {high:g}, got {value!r}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name, default)
        if not isinstance(value, bool):
            raise OptionError(f"option {name} must be true or false, got {value!r}")
        return value

    def duration(self, name: str, default: str) -> timedelta:
        value = self.values.get(name, default)
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise OptionError(f"option {name}: {exc}") from None

    def secret(self, name: str, default_variable: str, environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
        """(the secret, the variable it comes from), read from the environment variable named by option
        `name` (default `default_variable`). Secrets never go in the TOML file, which is often shared.

        A variable named in the TOML must be set; the default variable may be absent (no secret).
        """
        environ = os.environ if environ is None else environ
        variable = self.text(name)
        if variable:
            value = environ.get(variable, "").strip()
            if not value:
                raise OptionError(f"option {name} names the environment variable {variable}, which is not set")
            return value, variable
        return (environ.get(default_variable, "").strip() or None), default_variable


# --- answers -------------------------------------------------------------------------------------

class ApiError(Exception):
    """An answer the spider cannot use (not JSON, not the expected shape)."""


def read_json(body: bytes, url: str, content_type: str = "") -> Any:
    try:
        return json.loads(body)
    except ValueError:
        snippet = body[:120].decode("utf-8", "replace").strip()
        kind = content_type.split(";")[0].strip() or "no content type"
        raise ApiError(f"{url} did not answer with JSON ({kind}): {snippet!r}") from None


def api_message(body: bytes) -> str | None:
    """The explanation a platform puts in an error answer: Mastodon's "error", Bluesky's "error" and
    "message", Discourse's "errors", Reddit's "message" and "reason", Meta's and Google's
    "error.message" (and Google's reasons such as quotaExceeded), X's "title", "detail" and "errors"."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts: list[str] = []
    # Meta's Graph API and Google APIs nest theirs: {"error": {"message": …, "code": …, "errors": […]}}.
    nested = data.get("error") if isinstance(data.get("error"), dict) else {}
    for source, key in ((data, "error"), (data, "message"), (data, "error_description"), (data, "reason"),
                        (data, "explanation"), (nested, "message"), (data, "title"), (data, "detail")):
        value = source.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    # X's "errors" (dicts with message/detail), Google's nested ones (reason), Discourse's (strings).
    errors = [e for group in (data.get("errors"), nested.get("errors")) if isinstance(group, list) for e in group]
    for error in errors:
        if isinstance(error, str):
            text = error
        elif isinstance(error, dict):
            text = error.get("reason") or error.get("detail") or error.get("message") or ""
        else:
            continue
        if text and text.strip() not in parts:
            parts.append(text.strip())
    return ": ".join(parts)[:300] or None


_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')
_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*"?([^";]*)"?')


def parse_link_header(value: str | bytes | None) -> dict[str, str]:
    """RFC 8288 Link header -> {rel: url}: '<…?max_id=1>; rel="next", <…?min_id=9>; rel="prev"'."""
    if not value:
        return {}
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    links: dict[str, str] = {}
    for match in _LINK.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        for name, param in _PARAM.findall(params):
            if name.lower() == "rel":
                for rel in param.split():
                    links.setdefault(rel.lower(), url)
    return links


# --- rate limits ---------------------------------------------------------------------------------

# Header families platforms use: Mastodon and GitHub X-RateLimit-*, Reddit lower-case x-ratelimit-*,
# Bluesky and the IETF draft RateLimit-*. Header lookups are case-insensitive.
# X writes x-rate-limit-* (with a hyphen more).
_REMAINING = ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-Rate-Limit-Remaining")
_RESET = ("X-RateLimit-Reset", "RateLimit-Reset", "X-Rate-Limit-Reset")
# A reset value above this is a Unix time (Bluesky, GitHub); below, seconds from now (Reddit, IETF draft).
_EPOCH_THRESHOLD = 1_000_000_000


def rate_limit_exhausted(headers, now: datetime | None = None) -> float | None:
    """Seconds to wait before the next request when the answer says the budget is used up, else None.

    `headers` is anything with .get(name) returning bytes or str (Scrapy Headers, a dict).
    """
    meta = meta_usage(headers)
    if meta is not None and meta[0] >= 100:
        # Meta throttles an app or page that used its share for a rolling hour; it may say how long.
        return meta[1] if meta[1] else 3600.0
    remaining = _number(_header(headers, _REMAINING))
    if remaining is None or remaining >= 1:
        return None
    now = now or datetime.now(timezone.utc)
    reset = _header(headers, _RESET)
    if reset is None:
        return 60.0  # used up without saying until when: a minute is the common window
    seconds = _number(reset)
    if seconds is not None:
        if seconds > _EPOCH_THRESHOLD:
            return max(0.0, seconds - now.timestamp())
        return max(0.0, seconds)
    try:
        when = datetime.fromisoformat(reset.strip().replace("Z", "+00:00"))
    except ValueError:
        return 60.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


# Meta's usage headers: percentages of the app's, page's or business use case's hourly share.
_META_USAGE = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage", "X-Ad-Account-Usage")


def meta_usage(headers) -> tuple[float, float | None] | None:
    """(the highest share used in percent, seconds until access is back or None) from Meta's usage
    headers (x-app-usage, x-page-usage: {"call_count": 28, "total_time": 25, "total_cputime": 25};
    x-business-use-case-usage: {"<id>": [{"call_count": …, "estimated_time_to_regain_access": minutes}]}),
    or None when the answer has none."""
    highest: float | None = None
    regain: float | None = None
    for name in _META_USAGE:
        raw = _header(headers, (name,))
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries: list = [data] if isinstance(data, dict) and "call_count" in data else []
        if isinstance(data, dict) and not entries:
            for value in data.values():
                entries.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict))
        for entry in entries:
            for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
                number = entry.get(key)
                if isinstance(number, (int, float)) and not isinstance(number, bool):
                    highest = max(highest or 0.0, float(number))
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and minutes > 0:
                regain = max(regain or 0.0, float(minutes) * 60)
    if highest is None and regain is None:
        return None
    if regain:
        highest = max(highest or 0.0, 100.0)  # locked out, whatever the percentages say
    return highest or 0.0, regain


def _header(headers, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is None and isinstance(headers, Mapping):
            value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
        if value:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


# --- small things ----------------------------------------------------------------------------------

def epoch_to_datetime(value: Any) -> datetime | None:
    """Reddit's created_utc (seconds, possibly float) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def mapping(value: Any) -> dict[str, Any]:
    """`value` when the answer has an object there, else an empty one: `mapping(data.get("x")).get("y")`
    reads nested JSON of any shape without a TypeError."""
    return value if isinstance(value, dict) else {}


def listing(value: Any) -> list[Any]:
    """`value` when the answer has an array there, else an empty one."""
    return value if isinstance(value, list) else []


def count(value: Any) -> int | None:
    """An engagement count when the platform gives a whole number; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float) and value.is_integer():
        return max(0, int(value))
    return None


# --- markup --------------------------------------------------------------------------------------

def without(markup: str | None, selectors: list[str] | tuple[str, ...]) -> str:
    """An HTML fragment with the elements matching CSS `selectors` removed (quotes of other posts,
    link previews, signatures): what is left is the author's own words."""
    if not markup or not selectors:
        return markup or ""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return markup
    for selector in selectors:
        for element in root.cssselect(selector):
            element.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")


def first_image(markup: str | None, base: str, skip_classes: tuple[str, ...] = ()) -> str | None:
    """The first <img> of an HTML fragment that is a picture (not an emoji or avatar), as an absolute URL."""
    if not markup or "<img" not in markup:
        return None
    import lxml.html
    from lxml import etree

    from .extract import absolute_url

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for image in root.iter("img"):
        classes = set((image.get("class") or "").split())
        if classes & set(skip_classes):
            continue
        url = absolute_url(image.get("data-src") or image.get("src"), base)
        if url:
            return url
    return None

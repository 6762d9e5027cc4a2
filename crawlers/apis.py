"""What the platform spiders (Mastodon, Bluesky, Discourse, Reddit, HTML forums) share, without Scrapy:
reading a source's options, secrets from the environment, JSON answers, Link headers, rate-limit headers.

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
    "message", Discourse's "errors", Reddit's "message" and "reason"."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts: list[str] = []
    for key in ("error", "message", "error_description", "reason", "explanation"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    errors = data.get("errors")
    if isinstance(errors, list):
        parts.extend(str(e) for e in errors if isinstance(e, str))
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
_REMAINING = ("X-RateLimit-Remaining", "RateLimit-Remaining")
_RESET = ("X-RateLimit-Reset", "RateLimit-Reset")
# A reset value above this is a Unix time (Bluesky, GitHub); below, seconds from now (Reddit, IETF draft).
_EPOCH_THRESHOLD = 1_000_000_000


def rate_limit_exhausted(headers, now: datetime | None = None) -> float | None:
    """Seconds to wait before the next request when the answer says the budget is used up, else None.

    `headers` is anything with .get(name) returning bytes or str (Scrapy Headers, a dict).
    """
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

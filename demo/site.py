"""What every fake platform of the demo answers with: the request it is given, the response it returns, and
the helpers that make one (JSON, HTML from templates/, text, PNG, conditional GET).

The platform modules (feeds, mastodon, bluesky, discourse, reddit, forum, facebook, instagram, x, youtube)
import this; server.py imports
them, so the dependency runs one way: server -> platforms -> site.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import images
from .corpus import Corpus

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Request:
    kind: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    now: datetime
    corpus: Corpus
    urls: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.urls[self.kind]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.query.get(f"{name}[]", [])

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        """An integer parameter, clamped to [low, high] as the real APIs do; unreadable means default."""
        try:
            value = int(self.arg(name, str(default)))
        except ValueError:
            return default
        return max(low, min(high, value))

    def url(self, path: str | None = None, **changes: Any) -> str:
        """This request's URL (or `path`) with query parameters replaced; None removes one."""
        pairs = [(k, v) for k, values in self.query.items() for v in values if k not in changes]
        pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
        query = urlencode(pairs)
        return f"{self.base}{path or self.path}" + (f"?{query}" if query else "")

    def released(self, kind: str | None = None) -> list:
        return self.corpus.released(self.now, kind or self.kind)


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status, "application/json; charset=utf-8", dict(headers or {}))


def html_response(template: str, status: int = 200, **context: Any) -> Response:
    body = TEMPLATES.get_template(template).render(**context).encode("utf-8")
    return Response(body, status, "text/html; charset=utf-8")


def text_response(text: str, content_type: str = "text/plain; charset=utf-8", status: int = 200) -> Response:
    return Response(text.encode("utf-8"), status, content_type)


def png_response(name: str) -> Response:
    return Response(images.png(name), 200, "image/png", {"Cache-Control": "public, max-age=86400"})


def image(req: Request, name: str) -> Response:
    """A route handler for an imitated platform's media: the invented picture `name`."""
    return png_response(name)


def api_robots(req: Request) -> Response:
    """robots.txt of an imitated platform API: its hosts are reached by API clients, not crawled."""
    return text_response("User-agent: *\nDisallow: /\n")


def not_found(message: str = "niet gevonden") -> Response:
    return text_response(f"{message}\n", status=404)


def conditional(req: Request, response: Response, *, etag: str, modified: datetime) -> Response:
    """Add ETag and Last-Modified; answer 304 when the client already has this version."""
    last_modified = format_datetime(modified.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)
    response.headers.update({"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "max-age=60"})
    if _not_modified(req.headers, etag, modified):
        return Response(b"", 304, None, {"ETag": etag, "Last-Modified": last_modified})
    return response


def _not_modified(headers: Message, etag: str, modified: datetime) -> bool:
    match = headers.get("If-None-Match")
    if match:  # If-None-Match wins over If-Modified-Since (RFC 9110)
        tags = [t.strip() for t in match.split(",")]
        return "*" in tags or etag in tags or etag.removeprefix("W/") in [t.removeprefix("W/") for t in tags]
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


Handler = Callable[..., Response]

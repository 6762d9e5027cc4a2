"""The replay server: one small HTTP site per platform on 127.0.0.1, all serving one demo corpus.

Each platform gets its own port, so every site has the root its real counterpart has (Mastodon's
/api/v1, Bluesky's /xrpc, Reddit's /r/...) and its own robots.txt. What a site shows is what the
corpus has published by the time of the request: the backlog at once, then new posts as time goes on.

    with ReplayServer(speed=10) as server:
        server.urls["mastodon"]   # "http://127.0.0.1:PORT"
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import images
from .corpus import SEED, Corpus

log = logging.getLogger(__name__)

KINDS = ("feed", "mastodon", "bluesky", "discourse", "reddit", "forum")
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


def _site_routes() -> dict[str, list[tuple[re.Pattern, Handler]]]:
    from . import bluesky, discourse, feeds, forum, mastodon, reddit

    modules = {"feed": feeds, "mastodon": mastodon, "bluesky": bluesky, "discourse": discourse, "reddit": reddit,
               "forum": forum}
    return {kind: [(re.compile(f"^{pattern}$"), handler) for pattern, handler in module.ROUTES]
            for kind, module in modules.items()}


class ReplayServer:
    """The demo's platforms on 127.0.0.1, one port each; start() serves them in background threads."""

    def __init__(self, *, speed: float = 1.0, seed: int = SEED, host: str = "127.0.0.1",
                 start: datetime | None = None, ports: dict[str, int] | None = None):
        self.corpus = Corpus(start or datetime.now(timezone.utc), speed=speed, seed=seed)
        self.host = host
        self.hits: Counter[str] = Counter()
        self._routes = _site_routes()
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for kind in KINDS:
                httpd = ThreadingHTTPServer((host, (ports or {}).get(kind, 0)), self._handler(kind))
                httpd.daemon_threads = True
                self._servers[kind] = httpd
        except OSError:
            self.close()
            raise
        self.urls = {kind: f"http://{host}:{httpd.server_address[1]}" for kind, httpd in self._servers.items()}

    def start(self) -> "ReplayServer":
        for kind, httpd in self._servers.items():
            thread = threading.Thread(target=httpd.serve_forever, args=(0.1,), name=f"demo-{kind}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        for httpd in self._servers.values():
            if self._threads:
                httpd.shutdown()
            httpd.server_close()
        self._threads.clear()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def handle(self, kind: str, target: str, headers: Message | None = None) -> Response:
        """Answer one GET for `target` (path and query) on the `kind` site."""
        parts = urlsplit(target)
        with self._lock:
            self.hits[kind] += 1
        request = Request(kind, parts.path, parse_qs(parts.query, keep_blank_values=True), headers or Message(),
                          self.now(), self.corpus, self.urls)
        for pattern, handler in self._routes[kind]:
            match = pattern.match(parts.path)
            if match:
                request.params = match.groupdict()
                return handler(request, **request.params)
        return not_found()

    def _handler(self, kind: str):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "newsroom-demo"

            def do_GET(self):
                started = time.monotonic()
                try:
                    response = server.handle(kind, self.path, self.headers)
                except Exception:
                    log.exception("demo %s site failed on %s", kind, self.path)
                    response = json_response({"error": "internal error"}, status=500)
                self._send(response)
                log.debug("demo %s %s %s %.0f ms", kind, self.path, response.status,
                          1000 * (time.monotonic() - started))

            def _send(self, response: Response) -> None:
                try:
                    self.send_response(response.status)
                    if response.content_type:
                        self.send_header("Content-Type", response.content_type)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format, *args):  # requests are logged at debug level above
                pass

        return Handler

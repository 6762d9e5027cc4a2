"""The replay server: one small HTTP site per platform on 127.0.0.1, all serving one demo corpus.

Each platform gets its own port, so every site has the root its real counterpart has (Mastodon's
/api/v1, Bluesky's /xrpc, Reddit's /r/...) and its own robots.txt. What a site shows is what the
corpus has published by the time of the request: the backlog at once, then new posts as time goes on.

    with ReplayServer(speed=10) as server:
        server.urls["mastodon"]   # "http://127.0.0.1:PORT"
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import bluesky, discourse, facebook, feeds, forum, instagram, mastodon, reddit, x, youtube
from .corpus import SEED, Corpus
from .site import Handler, Request, Response, json_response, not_found

log = logging.getLogger(__name__)

KINDS = ("feed", "mastodon", "bluesky", "discourse", "reddit", "forum", "facebook", "instagram", "x", "youtube")


def _site_routes() -> dict[str, list[tuple[re.Pattern, Handler]]]:
    modules = {"feed": feeds, "mastodon": mastodon, "bluesky": bluesky, "discourse": discourse, "reddit": reddit,
               "forum": forum, "facebook": facebook, "instagram": instagram, "x": x, "youtube": youtube}
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

"""A small threaded HTTP server on 127.0.0.1 for crawl tests: canned replies, validators, records requests.

    server = LocalServer()            # random free port; server.url("/feed.xml")
    server.serve("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
    server.serve("/slow", b"...", delay=5)
    server.serve("/busy", [Reply(status=429, headers={"Retry-After": "2"}), Reply(body=b"ok")])
    server.requests_to("/feed.xml")   # what the crawler sent, headers (and a POST's body) included

A list of replies is served in order; its last reply repeats. A route with an ETag or Last-Modified
answers 304 to a matching If-None-Match / If-Modified-Since. /robots.txt allows everything unless
served otherwise; unknown paths are 404.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before the answer starts
    etag: str | None = None
    last_modified: str | None = None
    chunked: bool = False  # no Content-Length: the client learns the size only while reading


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    body: bytes = b""


class LocalServer:
    def __init__(self, host: str = "127.0.0.1"):
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self._httpd = ThreadingHTTPServer((host, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def serve(self, path: str, body: bytes | str | list[Reply] | Reply = b"", **reply: object) -> None:
        """Serve `body` (bytes, text, a Reply, or a list of Replies served in turn) at `path`."""
        if isinstance(body, list):
            replies = body
        elif isinstance(body, Reply):
            replies = [body]
        else:
            replies = [Reply(body=body.encode("utf-8") if isinstance(body, str) else body, **reply)]
        with self._lock:
            self._routes[path] = replies
            self._served[path] = 0

    def requests_to(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_reply(self, path: str) -> Reply | None:
        with self._lock:
            replies = self._routes.get(path)
            if replies is None:
                if path == "/robots.txt":
                    return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
                return None
            index = min(self._served[path], len(replies) - 1)
            self._served[path] += 1
            return replies[index]

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._serve("GET", b"")

            def do_POST(self):  # logins (token endpoints) answer a POST at the same routes
                length = int(self.headers.get("Content-Length") or 0)
                self._serve("POST", self.rfile.read(length) if length else b"")

            def _serve(self, method: str, body: bytes):
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append(Recorded(method, self.path, dict(self.headers.items()), time.time(), body))
                reply = server._next_reply(path)
                if reply is None:
                    self._answer(Reply(body=b"niet gevonden", status=404, content_type="text/plain"))
                    return
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status == 200 and _not_modified(reply, self.headers):
                    self._answer(Reply(status=304, content_type=None, etag=reply.etag, last_modified=reply.last_modified))
                    return
                self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    if reply.content_type:
                        self.send_header("Content-Type", reply.content_type)
                    if reply.etag:
                        self.send_header("ETag", reply.etag)
                    if reply.last_modified:
                        self.send_header("Last-Modified", reply.last_modified)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    body = reply.body if reply.status != 304 else b""
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for start in range(0, len(body), 16384):
                            chunk = body[start:start + 16384]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size limit): that is what some tests want

            def log_message(self, format, *args):  # keep test output quiet
                pass

        return Handler


def _not_modified(reply: Reply, headers) -> bool:
    if reply.etag and headers.get("If-None-Match"):
        return reply.etag in [tag.strip() for tag in headers["If-None-Match"].split(",")]
    if reply.last_modified and headers.get("If-Modified-Since"):
        try:
            return parsedate_to_datetime(headers["If-Modified-Since"]) >= parsedate_to_datetime(reply.last_modified)
        except (TypeError, ValueError):
            return False
    return False

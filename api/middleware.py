"""What stands in front of every route: CORS, request limits, a rate limit, and the current config.

Pure ASGI middleware (no BaseHTTPMiddleware), so streamed exports and server-sent events pass through
untouched.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.config.settings import Settings

LIMITED_PATHS = ("/api/", "/metrics")
BODY_METHODS = (b"POST", b"PUT", b"PATCH", b"DELETE")


async def _reply(send: Send, status: int, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers,
    ]})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Refuses bodies over `max_bytes` (413) and NUL characters in the path or query (400): no
    database stores them and they are never part of an honest request."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")) or "\x00" in scope.get("path", ""):
            return await _reply(send, 400, "Ongeldig teken (NUL) in het verzoek.")
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await _reply(send, 413, f"Verzoek te groot (maximaal {self.max_bytes} bytes).")
        if scope["method"].encode() not in BODY_METHODS:
            return await self.app(scope, receive, send)
        # Read the (small) body up front so a chunked upload can't pass the limit unnoticed.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await _reply(send, 413, f"Verzoek te groot (maximaal {self.max_bytes} bytes).")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RateLimit:
    """A token bucket per client address on the API: `per_minute` requests, refilled continuously."""

    def __init__(self, app: ASGIApp, per_minute: int):
        self.app = app
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()
        self.swept = time.monotonic()

    def take(self, client: str) -> float:
        """0 when the request may pass, else the seconds until it may."""
        now = time.monotonic()
        with self.lock:
            if now - self.swept > 300:  # forget clients idle long enough to have a full bucket again
                idle = self.capacity / self.rate
                self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < idle}
                self.swept = now
            tokens, at = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens < 1:
                self.buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            self.buckets[client] = (tokens - 1, now)
            return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(LIMITED_PATHS):
            client = (scope.get("client") or ("?", 0))[0]
            wait = self.take(client)
            if wait:
                return await _reply(send, 429, "Te veel verzoeken; probeer het zo weer.",
                                    [(b"retry-after", str(math.ceil(wait)).encode())])
        await self.app(scope, receive, send)


class CurrentConfig:
    """Keeps app.state.config equal to the config file's current content (edited by hand or by the
    API in another process), so every router and the wall read the config in force."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI):
        self.app = app
        self.state = fastapi_app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.config = self.state.config_file.current()
        await self.app(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware in order: outermost CORS, then limits, rate limit, config."""
    app.add_middleware(CurrentConfig, fastapi_app=app)
    if settings.rate_limit:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit)
    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        # Bearer tokens, no cookies: credentials stay off, so a wildcard origin can't leak anything.
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], allow_credentials=False, max_age=600)

"""/api/stream: the wall's state as server-sent events.

A screen that connects gets the last known state at once, so a refreshed screen is never blank; then
a new state whenever the store changes (checked every POLL seconds with a cheap fingerprint), and at
least every REFRESH seconds so the 24-hour windows slide and a screen can tell a live server from a
dead one. One WallStates per application computes each state once for all open screens.

On PostgreSQL the store also says when it changed (core.store.notify: LISTEN/NOTIFY), whichever
process or machine wrote: the state is then recomputed at once, and the fingerprint poll, every
LISTENING_POLL seconds, only covers a lost listening connection. So with several web processes
behind a load balancer, every one shows the workers' changes within a second or two.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse

from core.analytics.wall import store_version, wall_state
from core.store.notify import ChangeListener

from .deps import read_access

log = logging.getLogger(__name__)

POLL = 2.0
LISTENING_POLL = 10.0
REFRESH = 30.0
# Sent with every event: how long a browser waits before it reconnects after losing the stream.
RETRY_MS = 3000

router = APIRouter(prefix="/api", tags=["wall"], dependencies=[Depends(read_access)])


class WallStates:
    """The latest wall state of one application, shared by every open screen."""

    def __init__(self, app, poll: float = POLL, refresh: float = REFRESH):
        self.app = app
        self.poll = poll
        self.refresh = refresh
        self.state: dict | None = None
        self._version = None
        self._checked = self._computed = float("-inf")
        self._lock = asyncio.Lock()
        self._changed: asyncio.Event | None = None
        self._listener: ChangeListener | None = None

    def listen(self) -> None:
        """On PostgreSQL, follow the store's change notifications (call on the event loop, once)."""
        engine = self.app.state.engine
        if self._listener is not None or engine.dialect.name != "postgresql":
            return
        loop = asyncio.get_running_loop()

        def changed(_table: str) -> None:
            try:
                loop.call_soon_threadsafe(self._store_changed)
            except RuntimeError:  # the app's event loop has ended, and with it the need to listen
                listener.stop()

        listener = self._listener = ChangeListener(engine.url.render_as_string(hide_password=False), changed)
        listener.start()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()

    def _store_changed(self) -> None:
        self.expire()
        if self._changed is not None:
            changed, self._changed = self._changed, None
            changed.set()

    async def wait(self) -> None:
        """Until the store may have changed: a notification, or the poll interval passed."""
        listening = self._listener is not None and self._listener.listening.is_set()
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            await asyncio.wait_for(self._changed.wait(), LISTENING_POLL if listening else self.poll)
        except TimeoutError:
            pass

    def expire(self) -> None:
        """Look at the store on the next call (after a change made through this app)."""
        self._checked = float("-inf")

    def _read(self, version_only: bool):
        state = self.app.state
        with state.engine.connect() as conn:
            version = store_version(conn)
            if version_only and version == self._version and time.monotonic() - self._computed < self.refresh:
                return version, None
            return version, wall_state(conn, state.config, tz=state.settings.timezone, reuse=self.state)

    async def current(self) -> dict:
        """The state, recomputed when the store changed or it is older than `refresh` seconds.

        When the store cannot be read, the last known state is kept; its age shows on the screens.
        """
        async with self._lock:
            now = time.monotonic()
            if self.state is None or now - self._checked >= self.poll:
                self._checked = now
                try:
                    version, state = await to_thread.run_sync(self._read, self.state is not None)
                except Exception:
                    if self.state is None:
                        raise
                    log.exception("wall state: store not readable, keeping the last known state")
                    return self.state
                if state is not None:
                    self.state, self._version, self._computed = state, version, time.monotonic()
            return self.state


async def wall_states(request: Request) -> WallStates:
    # async: runs on the event loop, so two first requests cannot each make their own.
    app = request.app
    if getattr(app.state, "wall_states", None) is None:
        app.state.wall_states = WallStates(app)
        app.state.wall_states.listen()
    return app.state.wall_states


def _event(state: dict) -> dict:
    return {"event": "state", "id": state["generated_at"], "retry": RETRY_MS,
            "data": json.dumps(state, ensure_ascii=False, separators=(",", ":"))}


# Left out of the OpenAPI schema: an endless stream has no response to describe, and schema-driven
# clients and fuzzers would wait on it forever. It carries the same JSON as GET /api/wall.
@router.get("/stream", include_in_schema=False)
async def stream(states: WallStates = Depends(wall_states)):
    """`event: state` with the whole wall state (the same as GET /api/wall) on connect, on every change
    and at least every 30 s."""
    if states.state is None:
        await states.current()  # errors here are an ordinary 500, before the stream starts

    async def events():
        sent = states.state
        yield _event(sent)
        while True:
            await states.wait()
            state = await states.current()
            if state is not sent:
                sent = state
                yield _event(state)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})

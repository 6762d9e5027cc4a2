"""The container image's health check (Dockerfile HEALTHCHECK: `python -m newsroom.healthcheck`), by role.

One image runs every role, so "healthy" depends on the command under the entrypoint (process 1):
`run`, `web` and `demo` answer /healthz on their port; a `worker` serves no port, so it is healthy while
the file it touches every few seconds, when its event loop runs and its task queue (PostgreSQL) answers,
is fresh (newsroom.tasks.keep_alive); one-shot commands (`migrate`) have nothing to check. Exit status 0
is healthy, anything else unhealthy.
"""
from __future__ import annotations

import os
import tempfile
import time
import urllib.request
from pathlib import Path

WEB_ROLES = {"run", "web", "demo"}
# A worker touches its alive file every few seconds (newsroom.tasks.keep_alive); silent this long, it is unhealthy.
ALIVE_STALE = 30.0


def alive_file(pid: int) -> Path:
    """The file worker process `pid` touches while its loop runs and its task queue answers."""
    return Path(tempfile.gettempdir()) / f"newsroom-worker-{pid}.alive"


def command_line(pid: int = 1) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def check(args: list[str], pid: int = 1) -> None:
    """Raises when process `pid`, started with `args`, is not healthy."""
    role = next((arg for arg in args if arg in WEB_ROLES | {"worker"}), None)
    if role in WEB_ROLES:
        port = option(args, "--port") or os.environ.get("NEWSROOM_PORT", "8000")
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4)
    elif role == "worker":
        path = alive_file(pid)
        if not path.exists():
            raise RuntimeError(f"worker {pid} has not reported in ({path} is missing)")
        silent = time.time() - path.stat().st_mtime
        if silent > ALIVE_STALE:
            raise RuntimeError(f"worker {pid} has been silent for {silent:.0f} s (its loop or its task queue)")


if __name__ == "__main__":
    check(command_line())  # an exception exits with status 1: unhealthy

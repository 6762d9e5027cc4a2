"""The container image's health check (Dockerfile HEALTHCHECK: `python -m newsroom.healthcheck`), by role.

One image runs every role, so "healthy" depends on the command under the entrypoint (process 1):
`run`, `web` and `demo` answer /healthz on their port; a `worker` serves no port, so it is healthy when
its process runs (it is process 1) and the store answers; one-shot commands (`migrate`) have nothing to
check. Exit status 0 is healthy, anything else unhealthy.
"""
from __future__ import annotations

import os
import urllib.request
from pathlib import Path

WEB_ROLES = {"run", "web", "demo"}


def command_line(pid: int = 1) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def check(args: list[str]) -> None:
    """Raises when the process started with `args` is not healthy."""
    role = next((arg for arg in args if arg in WEB_ROLES | {"worker"}), None)
    if role in WEB_ROLES:
        port = option(args, "--port") or os.environ.get("NEWSROOM_PORT", "8000")
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4)
    elif role == "worker":
        from core.config.settings import get_settings
        from core.store.db import make_engine

        make_engine(get_settings().database_url).connect().close()


if __name__ == "__main__":
    check(command_line())  # an exception exits with status 1: unhealthy

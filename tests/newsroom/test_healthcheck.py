"""The container's health check by role: web roles answer /healthz on their port, a worker keeps its alive file fresh."""
from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from newsroom.healthcheck import ALIVE_STALE, alive_file, check, command_line, option


class Healthz(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def healthz_port():
    server = HTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_line_of_a_process_is_read_from_proc():
    assert any("python" in part or "pytest" in part for part in command_line(os.getpid()))


def test_port_option_in_both_spellings():
    assert option(["newsroom", "web", "--port", "9000"], "--port") == "9000"
    assert option(["newsroom", "web", "--port=9001"], "--port") == "9001"
    assert option(["newsroom", "web", "--workers", "2"], "--port") is None


def test_web_and_run_are_healthy_only_when_their_port_answers_healthz(healthz_port, monkeypatch):
    check(["/opt/venv/bin/newsroom", "web", "--port", str(healthz_port)])
    monkeypatch.setenv("NEWSROOM_PORT", str(healthz_port))
    check(["/opt/venv/bin/newsroom", "run"])
    with pytest.raises(urllib.error.URLError):
        check(["/opt/venv/bin/newsroom", "web", "--port", str(free_port())])


def test_a_worker_is_healthy_while_its_alive_file_is_fresh():
    pid = os.getpid()
    path = alive_file(pid)
    path.unlink(missing_ok=True)
    with pytest.raises(RuntimeError, match="has not reported in"):
        check(["/opt/venv/bin/newsroom", "worker", "--concurrency", "3"], pid)
    try:
        path.touch()
        check(["/opt/venv/bin/newsroom", "worker", "--concurrency", "3"], pid)
        stale = time.time() - ALIVE_STALE - 5
        os.utime(path, (stale, stale))  # its loop hung, or its task queue stopped answering
        with pytest.raises(RuntimeError, match="silent"):
            check(["/opt/venv/bin/newsroom", "worker"], pid)
    finally:
        path.unlink(missing_ok=True)


def test_one_shot_commands_have_nothing_to_check():
    check(["/opt/venv/bin/newsroom", "migrate"])

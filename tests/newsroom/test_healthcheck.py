"""The container's health check by role: web roles answer /healthz on their port, a worker needs its store."""
from __future__ import annotations

import os
import socket
import threading
import urllib.error
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy.exc import OperationalError

from core.config.settings import get_settings
from newsroom.healthcheck import check, command_line, option


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


@pytest.fixture
def settings_env(monkeypatch):
    def use(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


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


def test_a_worker_is_healthy_when_its_store_answers(settings_env, tmp_path):
    settings_env(NEWSROOM_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}")
    check(["/opt/venv/bin/newsroom", "worker", "--concurrency", "3"])
    settings_env(NEWSROOM_DATABASE_URL=f"postgresql://newsroom@127.0.0.1:{free_port()}/newsroom")  # nothing there
    with pytest.raises(OperationalError):
        check(["/opt/venv/bin/newsroom", "worker"])


def test_one_shot_commands_have_nothing_to_check():
    check(["/opt/venv/bin/newsroom", "migrate"])

"""A real SMTP server (aiosmtpd) and a real webhook receiver, both on 127.0.0.1."""
from __future__ import annotations

import email
import json
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 OK"


@pytest.fixture
def smtp():
    """.url for NEWSROOM_SMTP_URL, .messages as received."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield mailbox
    controller.stop()


class Receiver:
    def __init__(self):
        self.requests = []
        self.fail_next = 0  # answer this many requests with 500 first


@pytest.fixture
def webhook():
    """.url(path), .requests as received ({"path", "headers", "json"}), .fail_next."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.fail_next:
                receiver.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            receiver.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = lambda path="/hook": f"http://127.0.0.1:{server.server_address[1]}{path}"
    yield receiver
    server.shutdown()
    server.server_close()

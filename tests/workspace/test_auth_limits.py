"""Login rate limiting per client address and per name from one address: guessing is stopped where it
comes from, and nobody can lock a colleague out by typing their name from elsewhere (that name's
attempts are only slowed down a little)."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from workspace_data import login

from core.store import audit
from workspace.auth import CLIENT_ATTEMPTS, LOGIN_ATTEMPTS, MAX_DELAY, client_net, soft_delay


def _from(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def _login(client: TestClient, name: str, *args):
    # After signing in, the sign-out page: this file's concern is the login, not the overview.
    return login(client, name, *args, target="/uitloggen")


def test_failures_from_elsewhere_do_not_lock_a_name_out(ws_app, engine):
    attacker, colleague = _from(ws_app, "203.0.113.9"), _from(ws_app, "198.51.100.20")
    for _ in range(LOGIN_ATTEMPTS):
        assert _login(attacker, "adviseur", "raden").status_code == 401
    refused = _login(attacker, "adviseur")  # even the right password, from there
    assert refused.status_code == 429
    assert "Te veel mislukte pogingen voor dit account vanaf dit adres" in refused.text
    started = time.monotonic()
    response = _login(colleague, "adviseur")
    waited = time.monotonic() - started
    assert response.status_code == 200 and "adviseur" in response.text
    assert waited >= soft_delay(LOGIN_ATTEMPTS) == 0.5, "a name under attack is slowed down, not locked"
    with engine.connect() as conn:
        items = audit.entries(conn, actor="adviseur")["items"]
    assert [e["action"] for e in items[:2]] == ["login", "login.refused"]
    assert items[0]["detail"]["client"] == "198.51.100.20" and items[1]["detail"]["client"] == "203.0.113.9"


def test_one_address_guessing_many_names_is_stopped(ws_app):
    guesser, other = _from(ws_app, "192.0.2.50"), _from(ws_app, "192.0.2.51")
    names = [f"gok{n}" for n in range(CLIENT_ATTEMPTS // (LOGIN_ATTEMPTS - 1))]
    for name in names:  # fewer than LOGIN_ATTEMPTS per name: only the address's total gives it away
        for _ in range(LOGIN_ATTEMPTS - 1):
            assert _login(guesser, name, "raden").status_code == 401
    response = _login(guesser, "webcare")
    assert response.status_code == 429
    assert "Te veel mislukte pogingen vanaf dit adres" in response.text
    assert _login(other, "webcare").status_code == 200, "another address is not affected"


def test_an_ipv6_client_counts_per_64(ws_app):
    for n in range(1, LOGIN_ATTEMPTS + 1):  # one subscriber, hopping through its /64
        assert _login(_from(ws_app, f"2001:db8:5:1::{n}"), "beheer", "raden").status_code == 401
    assert _login(_from(ws_app, "2001:db8:5:1::ffff"), "beheer").status_code == 429
    assert _login(_from(ws_app, "2001:db8:5:2::1"), "beheer").status_code == 200


def test_client_nets_and_delays():
    assert client_net("2001:db8::1") == client_net("2001:db8::abcd") == "2001:db8::/64"
    assert client_net("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_net("192.0.2.1") == "192.0.2.1"
    assert client_net(None) == "?"
    assert [soft_delay(n) for n in (0, 4, 5, 6, 7)] == [0, 0, 0.5, 1, 2]
    assert soft_delay(1000) == MAX_DELAY


@pytest.mark.parametrize("field", ["csrf_token"])
def test_a_refused_login_sets_no_session(ws_app, field):
    client = _from(ws_app, "203.0.113.77")
    for _ in range(LOGIN_ATTEMPTS):
        _login(client, "beheer", "raden")
    response = _login(client, "beheer")
    assert response.status_code == 429
    assert "newsroom_sessie" not in client.cookies

"""Several web processes on one PostgreSQL: each wall stream hears of a change another process made
through LISTEN/NOTIFY, well before its fallback poll."""
from __future__ import annotations

import json
import time

import httpx
import pytest
from liveapp import LiveServer
from test_wall_stream import events
from wall_data import API_TOKEN, FIXTURES, READ_TOKEN, add_post, fill

from api import stream
from core.config.settings import Settings
from core.config.watch import load_config
from core.store.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url(db_url):
    if not db_url.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return db_url


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_web_apps_both_see_a_post_stored_elsewhere_at_once(postgres_url, monkeypatch):
    from newsroom.app import create_app

    monkeypatch.setattr(stream, "LISTENING_POLL", 30.0)  # only a notification can be this quick
    config = load_config(FIXTURES / "wall.toml")
    writer = make_engine(postgres_url)
    fill(writer, config)
    settings = Settings(database_url=postgres_url, config=FIXTURES / "wall.toml", api_token=API_TOKEN,
                        reads_need_token=True, read_token=READ_TOKEN)
    apps = [create_app(settings, config, make_engine(postgres_url)) for _ in range(2)]
    with LiveServer(apps[0]) as one, LiveServer(apps[1]) as two, httpx.Client(timeout=20) as client:
        with client.stream("GET", f"{one.url}/api/stream", params={"token": READ_TOKEN}) as first, \
                client.stream("GET", f"{two.url}/api/stream", params={"token": READ_TOKEN}) as second:
            streams = [events(first), events(second)]
            before = [json.loads(next(s)[1])["mood"]["posts"] for s in streams]
            for app in apps:  # listening started with the first stream
                assert app.state.wall_states._listener.listening.wait(10)
            time.sleep(stream.POLL + 0.5)  # past any wait that began before the listener was up
            text = "Lantaarnpaal bij de Vismarkt kapot, het is daar aardedonker."
            add_post(writer, config, "stadjersforum", text, label="negative")
            stored = time.monotonic()
            for before_count, s in zip(before, streams):
                for _name, data in s:
                    state = json.loads(data)
                    if state["posts"][0]["text"] == text:
                        break
                assert time.monotonic() - stored < 8, "no notification: the change waited for the poll"
                assert state["mood"]["posts"] == before_count + 1
    for app in apps:
        app.state.wall_states.close()
        app.state.engine.dispose()
    writer.dispose()

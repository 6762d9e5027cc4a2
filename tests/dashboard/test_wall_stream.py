"""/api/stream over a real uvicorn server: the state on connect, then every change, as SSE."""
from __future__ import annotations

import json
import time

import httpx
from wall_data import READ_TOKEN, add_post


def events(response):
    """Yield (event, data) of a text/event-stream response."""
    name, data = None, []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif line == "" and data:
            yield name, "\n".join(data)
            name, data = None, []


def test_stream_replays_the_state_then_sends_new_posts(live_wall):
    server, engine, config = live_wall
    with httpx.Client(base_url=server.url, timeout=15) as client:
        assert client.get("/api/stream").status_code == 401
        with client.stream("GET", "/api/stream", params={"token": READ_TOKEN}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            started = time.monotonic()
            name, data = next(stream)
            assert name == "state" and time.monotonic() - started < 5
            first = json.loads(data)
            assert first["mood"]["posts"] >= 32 and first["posts"]

            text = "Nieuwe melding: lantaarnpaal op de Vismarkt is kapot, het is daar aardedonker."
            add_post(engine, config, "stadjersforum", text, label="negative")
            inserted = time.monotonic()
            for _name, data in stream:
                state = json.loads(data)
                if state["posts"][0]["text"] == text:
                    break
                assert time.monotonic() - inserted < 10, "the new post did not arrive within 10 s"
            assert time.monotonic() - inserted < 10
            assert state["mood"]["posts"] == first["mood"]["posts"] + 1

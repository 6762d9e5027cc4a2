"""Helpers for the platform crawl tests (test_mastodon.py, test_bluesky.py, ...): the watch they share,
their recorded-style fixtures, and looking at what a crawl asked for and what it stored."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
JSON = "application/json; charset=utf-8"

# The watch of every platform test: the municipality is public by role, everyone else is pseudonymised.
WATCH = """
[watch]
city = "Groningen"
terms = ["Groningen", "Stad", "#groningen"]

[[themes]]
name = "afval"
terms = ["afval", "container", "kliko", "gft"]
page = "https://gemeente.groningen.nl/afval"

[[themes]]
name = "parkeren"
terms = ["parkeren", "parkeervergunning", "parkeergarage"]
page = "https://gemeente.groningen.nl/parkeren"

[privacy]
public_roles = ["gemeentegroningen", "Gemeente Groningen", "gemeentegroningen.bsky.social"]
"""


def fixture(kind: str, name: str) -> bytes:
    return (FIXTURES / kind / name).read_bytes()


def fixture_json(kind: str, name: str):
    return json.loads(fixture(kind, name))


def requests_to(server, path: str) -> list:
    """The requests for `path`, whatever their query string."""
    return [r for r in server.requests if urlsplit(r.path).path == path]


def query(recorded) -> dict[str, list[str]]:
    return parse_qs(urlsplit(recorded.path).query)


def stored_text(posts: list[dict]) -> str:
    """Every stored value of `posts` as one text, to prove something is not in the store at all."""
    return json.dumps(posts, default=str, ensure_ascii=False)

"""Malformed input never crashes a spider: property-based tests (hypothesis) of every parse callback of the
feed, HTML-forum and JSON platform spiders, fed recorded answers with random damage and random documents.

A parse callback may end its work in one way only: by raising ApiError, the spider's own "this answer is
not what the platform promises" (the run fails with that reason). Anything else escaping (KeyError,
TypeError, AttributeError, ...) is a crash, and every post it yields must be storable.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import Ingest
from core.store.sources import get_source, sync_sources
from crawlers.apis import ApiError
from crawlers.items import Post
from crawlers.job import CrawlJob
from crawlers.spiders import spider_class

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://127.0.0.1:9"
FORUM = {"thread_links": "//a[@class='topictitle']/@href", "post": "div.post", "author": "a.username::text",
         "date": ".datum::text", "text": "div.content", "exclude": ["blockquote"],
         "next_page": "a.volgende::attr(href)", "title": "h2.topic-title a::text"}
SOURCES = [
    {"name": "feed", "kind": "feed", "url": f"{BASE}/feed.xml", "local": True},
    {"name": "forum", "kind": "forum", "url": f"{BASE}/forum/", "local": True, **FORUM},
    {"name": "mastodon", "kind": "mastodon", "url": BASE, "hashtags": ["groningen"], "local": True},
    {"name": "reddit", "kind": "reddit", "url": BASE, "subreddits": ["groningen"], "local": True},
    {"name": "bluesky", "kind": "bluesky", "url": BASE, "query": "groningen", "local": True},
    {"name": "discourse", "kind": "discourse", "url": BASE, "local": True},
]
# (source, callback, its cb_kwargs, recorded answers to damage)
CALLBACKS = [
    ("feed", "parse_feed", {}, ["stadskrant.xml", "ommeland.atom", "raadsinformatie.rdf", "wijkblad.json"]),
    ("forum", "parse_list", {"page": 1}, ["forum/onderwerpen.html", "forum/onderwerpen-2.html"]),
    ("forum", "parse_thread", {"thread": "101", "pages": 1}, ["forum/topic-101.html", "forum/topic-95.html"]),
    ("mastodon", "parse_timeline", {"key": "tag:groningen", "what": "tag", "page": 1, "forward": False},
     ["mastodon/tag-groningen-1.json", "mastodon/account-gemeente-statuses.json"]),
    ("mastodon", "parse_search", {"query": "markt", "page": 1, "what": "search"}, ["mastodon/search-grote-markt.json"]),
    ("mastodon", "parse_account", {"account": "gemeente", "what": "account"}, ["mastodon/account-gemeente.json"]),
    ("reddit", "parse_listing", {"key": "r/groningen", "path": "/r/groningen/new.json", "params": {}, "what": "new",
                                 "page": 1}, ["reddit/new-1.json", "reddit/search.json"]),
    ("reddit", "parse_comments", {"fullname": "t3_1p0c3a", "what": "comments"}, ["reddit/comments-1p0c3a.json"]),
    ("reddit", "parse_info", {"what": "info"}, ["reddit/info.json"]),
    ("bluesky", "parse_search", {"query": "groningen", "page": 1, "what": "search"}, ["bluesky/search-1.json"]),
    ("bluesky", "parse_feed", {"actor": "gemeente", "page": 1, "what": "feed"}, ["bluesky/feed-gemeente.json"]),
    ("discourse", "parse_latest", {"page": 0, "what": "latest"}, ["discourse/latest.json"]),
    ("discourse", "parse_topic", {"topic_id": "298", "what": "topic"}, ["discourse/t-298.json", "discourse/t-341.json"]),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
ODD_VALUES = st.sampled_from([None, "", 0, -1, 10**20, 1.5, True, [], {}, "x", "2025-13-45T99:99:99Z", "<b>&"])


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, as a path of keys and indexes."""
    found = [prefix]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found += paths(child, (*prefix, key))
    return found


@st.composite
def damaged_json(draw, document: Any) -> bytes:
    """A recorded answer with a few values replaced by other types, odd values or random JSON, or dropped."""
    document = json.loads(json.dumps(document))
    places = paths(document)
    for place in draw(st.lists(st.sampled_from(places), min_size=1, max_size=4)):
        if not place:
            document = draw(json_values)
            continue
        parent = document
        try:
            for key in place[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(place[-1], None)
            else:
                parent[place[-1]] = draw(ODD_VALUES | json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    return json.dumps(document).encode()


@st.composite
def damaged_bytes(draw, body: bytes) -> bytes:
    """A recorded document cut short, with bytes flipped, or with a chunk of itself or random bytes spliced in."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        how = draw(st.sampled_from(["cut", "flip", "splice", "drop"]))
        if how == "cut":
            body = body[:at]
        elif how == "flip" and at < len(body):
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1:]
        elif how == "splice":
            body = body[:at] + draw(st.binary(max_size=40) | st.sampled_from([b"<", b"]]>", b"&", b"\xff\xfe", b"<a><b>"]))\
                + body[at:]
        else:
            end = draw(st.integers(at, min(len(body), at + 200)))
            body = body[:at] + body[end:]
    return body


def answers(recorded: list[str]):
    bodies = [(FIXTURES / name).read_bytes() for name in recorded]
    strategies = [damaged_bytes(b) for b in bodies] + [st.binary(max_size=300)]
    if recorded[0].endswith(".json"):
        strategies += [damaged_json(json.loads(b)) for b in bodies] + [json_values.map(lambda v: json.dumps(v).encode())]
    return st.one_of(strategies)


@pytest.fixture(scope="module")
def spiders(tmp_path_factory):
    from core.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'newsroom.db'}")
    migrate(engine)
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]}, "sources": SOURCES})
    built = {}
    with engine.begin() as conn:
        sync_sources(conn, config)
    for source in SOURCES:
        with engine.connect() as conn:
            row = get_source(conn, source["name"])
        job = CrawlJob(source=config.source(source["name"]), source_row=row, ingest=Ingest(config, Settings()),
                       engine=engine)
        cls = spider_class(source["kind"])
        spider = cls.from_crawler(get_crawler(cls), job)
        if hasattr(spider, "configure"):
            spider.configure()
        if source["kind"] == "reddit":  # comments are read for threads its listings put on watch
            spider.threads["t3_1p0c3a"] = {"created": 0.0, "comments": 0, "newest": 0, "permalink": "/r/x/1"}
        built[source["name"]] = spider
    yield built
    engine.dispose()


def run_callback(spider, callback: str, kwargs: dict, body: bytes, content_type: str) -> list:
    url = spider.job.source.url
    request = Request(url, meta={"newsroom_primary": True, "newsroom_validators": url}, cb_kwargs=kwargs)
    response_class = HtmlResponse if "html" in content_type else TextResponse
    response = response_class(url, body=body, headers={"Content-Type": content_type}, request=request)
    out = getattr(spider, callback)(response, **kwargs)
    return list(out or [])


@pytest.mark.parametrize("source, callback, kwargs, recorded", CALLBACKS, ids=[f"{c[0]}.{c[1]}" for c in CALLBACKS])
def test_no_exception_but_api_error_escapes_a_parse_callback(spiders, source, callback, kwargs, recorded):
    spider = spiders[source]
    content_type = {"xml": "application/rss+xml", "atom": "application/atom+xml", "rdf": "application/rdf+xml",
                    "json": "application/json", "html": "text/html; charset=utf-8"}[recorded[0].rsplit(".", 1)[1]]

    # Derandomized so a CI run is reproducible; explore new inputs locally with derandomize=False.
    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(body=answers(recorded))
    def parse(body):
        try:
            produced = run_callback(spider, callback, dict(kwargs), body, content_type)
        except ApiError:
            return  # the answer is not what the platform promises: the run fails with this reason
        for thing in produced:
            assert isinstance(thing, (Post, scrapy.Request)), thing
            if isinstance(thing, Post):
                assert isinstance(thing["external_id"], str) and thing["external_id"], thing
                assert isinstance(thing["published_at"], datetime) and thing["published_at"].tzinfo, thing
                assert isinstance(thing.get("text") or "", str), thing

    parse()

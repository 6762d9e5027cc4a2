"""What the platform spiders share (crawlers.apis, crawlers.spiders.api), and their options, without a crawl."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import Ingest
from core.store.sources import get_source, sync_sources
from crawlers.apis import (
    ApiError,
    OptionError,
    Options,
    api_message,
    first_image,
    parse_link_header,
    rate_limit_exhausted,
    read_json,
    without,
)
from crawlers.job import CrawlJob
from crawlers.spiders import spider_class

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def test_link_headers():
    header = ('<https://toot.stad.example/api/v1/timelines/tag/groningen?max_id=115>; rel="next", '
              '<https://toot.stad.example/api/v1/timelines/tag/groningen?min_id=120>; rel="prev"')
    assert parse_link_header(header) == {
        "next": "https://toot.stad.example/api/v1/timelines/tag/groningen?max_id=115",
        "prev": "https://toot.stad.example/api/v1/timelines/tag/groningen?min_id=120",
    }
    assert parse_link_header(b'<https://a.example/2>; rel="next last"; title="x"') == {
        "next": "https://a.example/2", "last": "https://a.example/2"}
    assert parse_link_header(None) == {} and parse_link_header("rubbish") == {}


@pytest.mark.parametrize("headers, wait", [
    ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-22T12:05:00.000Z"}, 300.0),  # Mastodon
    ({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "42"}, 42.0),  # Reddit: seconds from now
    ({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW.timestamp()) + 90)}, 90.0),  # Bluesky: Unix time
    ({"X-RateLimit-Remaining": "0"}, 60.0),  # used up, no reset: a minute
    ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-22T11:00:00Z"}, 0.0),  # already reset
    ({"X-RateLimit-Remaining": "299", "X-RateLimit-Reset": "2026-11-22T12:05:00.000Z"}, None),
    ({"x-ratelimit-remaining": "0.4", "x-ratelimit-reset": "5"}, 5.0),
    ({}, None),
])
def test_rate_limit_headers(headers, wait):
    assert rate_limit_exhausted(headers, now=NOW) == wait


def test_error_answers_are_explained():
    assert api_message(b'{"error":"The access token is invalid"}') == "The access token is invalid"
    assert api_message(b'{"error":"ExpiredToken","message":"Token has expired"}') == "ExpiredToken: Token has expired"
    assert api_message(b'{"reason": "banned", "message": "Not Found", "error": 404}') == "Not Found: banned"
    assert api_message(b'{"errors":["The requested URL or resource could not be found."],"error_type":"not_found"}') \
        == "The requested URL or resource could not be found."
    assert api_message(b"<html>Whoa there, pardner!</html>") is None
    with pytest.raises(ApiError, match=r"did not answer with JSON \(text/html\): '<html>"):
        read_json(b"<html>onderhoud</html>", "https://x.example/latest.json", "text/html; charset=utf-8")


def test_markup_helpers():
    cooked = ('<aside class="quote"><blockquote>niet van mij</blockquote></aside><p>Wel van mij '
              '<img class="emoji" src="/e.png"> <img src="/uploads/foto.jpg"></p>')
    assert "niet van mij" not in without(cooked, ["aside.quote"]) and "Wel van mij" in without(cooked, ["aside.quote"])
    assert first_image(cooked, "https://forum.example/t/1", ("emoji",)) == "https://forum.example/uploads/foto.jpg"
    assert first_image("<p>geen foto</p>", "https://forum.example") is None


def test_options():
    options = Options({"hashtags": "groningen", "max_pages": 0, "comments": "ja", "watch": "1x", "token_env": "MIJN_TOKEN"})
    assert options.texts("hashtags") == ["groningen"] and options.texts("missing") == []
    with pytest.raises(OptionError, match="option max_pages must be a whole number from 1 to 100, got 0"):
        options.integer("max_pages", 5, 1, 100)
    with pytest.raises(OptionError, match="option comments must be true or false"):
        options.flag("comments", True)
    with pytest.raises(OptionError, match="option watch: expected a duration"):
        options.duration("watch", "3d")
    with pytest.raises(OptionError, match="names the environment variable MIJN_TOKEN, which is not set"):
        options.secret("token_env", "NEWSROOM_MASTODON_TOKEN", environ={})
    assert options.secret("token_env", "X", environ={"MIJN_TOKEN": " abc "}) == ("abc", "MIJN_TOKEN")
    assert Options({}).secret("token_env", "NEWSROOM_MASTODON_TOKEN", environ={}) == (None, "NEWSROOM_MASTODON_TOKEN")


def spider(sqlite_engine, monkeypatch, sources: list[dict], name: str, environ: dict | None = None):
    """The spider of source `name`, built on a real job, before its first request."""
    for variable, value in (environ or {}).items():
        monkeypatch.setenv(variable, value)
    config = parse_config({"watch": {"city": "Groningen", "terms": ["Groningen"]}, "sources": sources})
    with sqlite_engine.begin() as conn:
        sync_sources(conn, config)
        row = get_source(conn, name)
    job = CrawlJob(source=config.source(name), source_row=row, ingest=Ingest(config, Settings()), engine=sqlite_engine)
    return spider_class(job.source.kind)(job)


@pytest.mark.parametrize("source, problem", [
    ({"kind": "mastodon"}, "set at least one of hashtags, accounts or search"),
    ({"kind": "mastodon", "hashtags": ["groningen"], "max_pages": 500}, "option max_pages must be a whole number from 1 to 100"),
    ({"kind": "bluesky"}, "set at least one of query or actors"),
    ({"kind": "discourse", "categories": ["afval"]}, "option categories must be a list of category ids"),
    ({"kind": "reddit", "subreddits": ["groningen"], "comments": "ja"}, "option comments must be true or false"),
    ({"kind": "forum"}, "option thread_links (a CSS or XPath selector) is required"),
    ({"kind": "forum", "thread_links": "a.topic", "post": "div.post[", "text": ".content"},
     "option post: 'div.post[' is not a valid CSS or XPath selector"),
    ({"kind": "forum", "thread_links": "//a[@class='topic'", "post": "div.post", "text": ".content"},
     "option thread_links: \"//a[@class='topic'\" is not a valid CSS or XPath selector"),
])
def test_wrong_options_are_refused_by_name(sqlite_engine, monkeypatch, source, problem):
    built = spider(sqlite_engine, monkeypatch, [{"name": "bron", "url": "https://x.example", **source}], "bron")
    with pytest.raises(OptionError, match=problem.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        built.configure()


def test_credentials_need_both_halves(sqlite_engine, monkeypatch):
    source = {"name": "bsky", "kind": "bluesky", "url": "https://x.example", "query": "groningen"}
    built = spider(sqlite_engine, monkeypatch, [source], "bsky", {"NEWSROOM_BLUESKY_HANDLE": "redactie.bsky.social"})
    with pytest.raises(OptionError, match="NEWSROOM_BLUESKY_HANDLE is set but NEWSROOM_BLUESKY_APP_PASSWORD is not"):
        built.configure()


def test_a_default_token_is_not_sent_to_two_instances(sqlite_engine, monkeypatch):
    sources = [
        {"name": "een", "kind": "mastodon", "url": "https://toot.stad.example", "hashtags": ["groningen"]},
        {"name": "twee", "kind": "mastodon", "url": "https://social.anders.example", "hashtags": ["groningen"]},
        {"name": "drie", "kind": "mastodon", "url": "https://eigen.example", "hashtags": ["groningen"],
         "token_env": "EIGEN_TOKEN"},
    ]
    environ = {"NEWSROOM_MASTODON_TOKEN": "t0ken", "EIGEN_TOKEN": "e1gen"}
    with pytest.raises(OptionError, match="NEWSROOM_MASTODON_TOKEN would be sent to social.anders.example, toot.stad"):
        spider(sqlite_engine, monkeypatch, sources, "een", environ).configure()
    own = spider(sqlite_engine, monkeypatch, sources, "drie", environ)
    own.configure()
    assert own.auth_headers == {"Authorization": "Bearer e1gen"} and own.auth_host == "eigen.example"
    assert own.carries_credentials("https://eigen.example/api/v1/timelines/tag/groningen?max_id=1")
    assert not own.carries_credentials("https://elders.example/api/v1/timelines/tag/groningen")

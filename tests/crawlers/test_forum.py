"""HTML forums read with selectors from the TOML file: real crawls against recorded-style pages on 127.0.0.1."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from localserver import Reply
from platforms import WATCH, fixture, requests_to, stored_text

from crawlers.dutch_dates import parse_dutch_datetime

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
THREAD = "/forum/topic/101-klikos-zonnelaan"
PRIVATE_NAMES = ("Anouk de Vries", "Jelmer Bakker", "Fenna Postma", "Sietse Hoekstra", "Marit Zijlstra")
NEW_POST = b"""<div class="post" id="p5550">
    <dl class="postprofile"><dt><a class="username" href="/forum/lid/171">Marit Zijlstra</a></dt></dl>
    <div class="postbody">
      <p class="author">door <strong>Marit Zijlstra</strong> &raquo; <span class="datum">vandaag om 10:02</span></p>
      <div class="content">Bij ons is hij vanochtend geleegd, eindelijk.</div>
    </div>
  </div>
<!--NIEUW-->"""


def page(name: str, **reply) -> Reply:
    return Reply(body=fixture("forum", name), **reply)


@pytest.fixture(scope="module")
def room(module_newsroom, module_server):
    url = module_server.url("")
    selectors = """
thread_links = "//a[@class='topictitle']/@href"   # XPath
post = "div.post"                                 # CSS, as the others
author = "a.username::text"
date = ".datum::text"
text = "div.content"
exclude = ["blockquote"]
next_page = "a.volgende::attr(href)"
title = "h2.topic-title a::text"
"""
    return module_newsroom(WATCH + f"""
[[sources]]
name = "buurtforum"
kind = "forum"
url = "{url}/forum/"
local = true
{selectors}

[[sources]]
name = "ledenforum"
kind = "forum"
url = "{url}/leden/"
{selectors}
""")


def local_moment(started_at: datetime, days_back: int, hour: int, minute: int) -> datetime:
    """'gisteren 09:12' as the crawl that started at `started_at` reads it."""
    day = started_at.astimezone(AMSTERDAM).date() - timedelta(days=days_back)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM).astimezone(timezone.utc)


def test_first_crawl_waits_out_a_429_then_the_second_stores_only_newer_posts(room, module_server):
    server = module_server
    server.serve("/forum/", [Reply(status=429, body=b"Even geduld", content_type="text/plain", headers={"Retry-After": "2"}),
                             page("onderwerpen.html")])
    server.serve("/forum/pagina-2", page("onderwerpen-2.html"))
    server.serve(THREAD, page("topic-101.html"))
    server.serve(f"{THREAD}/pagina-2", page("topic-101-pagina-2.html"))
    server.serve("/forum/topic/102-parkeren-oosterpoort", page("topic-102.html", etag='"t102-v1"'))
    server.serve("/forum/topic/95-vuurwerk-beijum", page("topic-95.html"))

    first = room.crawl("buurtforum")

    assert first["status"] == "ok", first
    assert (first["fetched"], first["new"], first["errors"]) == (8, 8, 0), first
    index = requests_to(server, "/forum/")
    assert len(index) == 2 and index[1].at - index[0].at >= 1.9  # the 429 waited out and retried
    assert requests_to(server, "/robots.txt")  # web pages, not an API: robots.txt is obeyed

    started = room.runs("buurtforum")[-1]["started_at"]
    stored = {p["external_id"].rsplit("#", 1)[-1]: p for p in room.posts("buurtforum")}
    assert set(stored) == {"p5501", "p5507", "p5512", "p5530", "p5541", "p5480", "p5483", "p5390"}
    opener = stored["p5501"]
    thread_url = server.url(THREAD)
    assert opener["title"] == "Kliko's niet geleegd in de Zonnelaan"
    assert opener["url"] == opener["thread_url"] == thread_url
    assert opener["external_id"] == f"{thread_url}#p5501" and opener["extra"]["permalink"] == f"{thread_url}#p5501"
    assert opener["text"] == "Onze groene kliko in de Zonnelaan is al twee weken niet geleegd.\nWie in de Stad heeft dit ook?"
    assert opener["image_url"] == server.url("/forum/bijlagen/kliko-zonnelaan.jpg")
    assert opener["published_at"] == datetime(2026, 11, 21, 13, 5, tzinfo=timezone.utc)
    assert opener["author"].startswith("inwoner-")
    gemeente = stored["p5507"]
    assert (gemeente["author"], gemeente["author_public"]) == ("Gemeente Groningen", True)
    assert gemeente["published_at"] == datetime(2026, 11, 21, 15, 40, tzinfo=timezone.utc)  # "za 21 nov. 2026, 16:40"
    assert gemeente["parent_external_id"] == opener["external_id"] and gemeente["title"] is None
    assert gemeente["url"] is None  # posts share their page's URL: only the opener has it
    assert stored["p5512"]["text"] == "Bij ons precies hetzelfde, drie huizen verderop."  # the quote left out
    assert stored["p5512"]["published_at"] == local_moment(started, 1, 9, 12)  # "gisteren 09:12"
    assert stored["p5541"]["published_at"] == local_moment(started, 0, 8, 30)  # "vandaag om 08:30"
    assert stored["p5530"]["parent_external_id"] == opener["external_id"]  # page 2 of the same thread
    assert stored["p5480"]["published_at"] == datetime(2026, 11, 20, 18, 2, tzinfo=timezone.utc)  # "20-11-2026 19:02"
    assert stored["p5390"]["title"] == "Vuurwerk in Beijum, nu al?"  # a thread on the list's second page
    everything = stored_text(list(stored.values()))
    assert not [name for name in PRIVATE_NAMES if name in everything]
    assert room.state("buurtforum")["threads"][thread_url]["page"] == server.url(f"{THREAD}/pagina-2")

    # Second crawl: each thread is read from its last page; an unchanged page answers 304.
    server.serve(f"{THREAD}/pagina-2", page("topic-101-pagina-2.html").body.replace(b"<!--NIEUW-->", NEW_POST))
    opener_reads = len(requests_to(server, THREAD))

    second = room.crawl("buurtforum")

    assert second["status"] == "ok", second
    assert (second["new"], second["duplicates"], second["not_modified"]) == (1, 3, 1), second
    assert len(requests_to(server, THREAD)) == opener_reads  # not from page 1 again
    assert requests_to(server, "/forum/topic/102-parkeren-oosterpoort")[-1].headers["If-None-Match"] == '"t102-v1"'
    newest = room.posts("buurtforum")[-1]
    assert newest["text"] == "Bij ons is hij vanochtend geleegd, eindelijk."
    assert newest["parent_external_id"] == opener["external_id"] and newest["thread_url"] == thread_url


def test_a_forum_that_refuses_visitors_is_a_failed_run_with_its_reason(room, module_server):
    module_server.serve("/leden/", Reply(status=401, body=b"Log eerst in.", content_type="text/plain",
                                         headers={"WWW-Authenticate": 'Basic realm="Leden"'}))

    result = room.crawl("ledenforum")

    assert result["status"] == "failed", result
    assert f"HTTP 401 Unauthorized from {module_server.url('/leden/')}" in result["error"]
    assert "the forum refuses visitors here" in result["error"]


NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)  # 11:00 in Groningen


@pytest.mark.parametrize("written, expected", [
    ("21 november 2026 14:05", datetime(2026, 11, 21, 13, 5)),
    ("za 21 nov. 2026 om 14.05 uur", datetime(2026, 11, 21, 13, 5)),
    ("zaterdag 21 november 2026, 14:05:33", datetime(2026, 11, 21, 13, 5, 33)),
    ("21-11-2026 14:05", datetime(2026, 11, 21, 13, 5)),
    ("21/11/26", datetime(2026, 11, 21, 11, 0)),  # no time: noon in Groningen
    ("3 juni 2026 09:00", datetime(2026, 6, 3, 7, 0)),  # summer time
    ("gisteren 09:12", datetime(2026, 11, 21, 8, 12)),
    ("eergisteren 23:59", datetime(2026, 11, 20, 22, 59)),
    ("vandaag om 8:30", datetime(2026, 11, 22, 7, 30)),
    ("5 minuten geleden", datetime(2026, 11, 22, 9, 55)),
    ("een uur geleden", datetime(2026, 11, 22, 9, 0)),
    ("zojuist", datetime(2026, 11, 22, 10, 0)),
    ("30 december 14:00", datetime(2025, 12, 30, 13, 0)),  # no year, and not in the future: last year
    ("31-02-2026 10:00", None),
    ("binnenkort", None),
])
def test_dutch_dates(written, expected):
    found = parse_dutch_datetime(written, now=NOW, tz=AMSTERDAM)
    assert found == (expected.replace(tzinfo=timezone.utc) if expected else None)


def test_dutch_dates_with_a_format():
    assert parse_dutch_datetime("di 3 mrt 2026 - 14u05", now=NOW, tz=AMSTERDAM, date_format="%a %d %b %Y - %Hu%M") \
        == datetime(2026, 3, 3, 13, 5, tzinfo=timezone.utc)
    assert parse_dutch_datetime("3 maart, 14:05", now=NOW, tz=AMSTERDAM, date_format="%d %B, %H:%M") \
        == datetime(2026, 3, 3, 13, 5, tzinfo=timezone.utc)
    assert parse_dutch_datetime("3 maart", now=NOW, tz=AMSTERDAM, date_format="%d-%m-%Y") is None

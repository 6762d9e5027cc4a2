"""Long-lived crawl processes (crawlers.server through crawlers.launch.CrawlProcess): many crawls per
process, 304s that cost a request and not a process start, hung and crashed crawls that cost only
themselves, recycling after N crawls; a process closed or lost leaves no pipe of it open."""
from __future__ import annotations

import os
import signal
import threading
import time

from test_crawl import RSS, feed_source, fixture, serve_stadskrant

import crawlers.launch
from core.store.db import migrate
from crawlers.launch import CrawlProcess


def test_one_process_runs_crawl_after_crawl_and_a_304_is_cheap(server, newsroom_on):
    serve_stadskrant(server)
    newsroom_on.sources(feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))
    migrate(newsroom_on.engine)
    process = CrawlProcess(newsroom_on.env, recycle_after=3)
    try:
        first = process.crawl("stadskrant")
        pid = process.child.pid
        assert first["status"] == "ok" and first["new"] > 0, first
        started = time.monotonic()
        again = process.crawl("stadskrant")
        assert again["status"] == "ok" and again["not_modified"] == 1 and again["new"] == 0, again
        assert time.monotonic() - started < 5
        assert process.child.pid == pid  # the same process crawled again
        assert newsroom_on.crawl("stadskrant")["not_modified"] == 1  # the state it saved is the store's
        process.crawl("stadskrant")
        assert process.child is None  # recycled after three crawls
        assert process.crawl("onbekend")["status"] == "failed"  # a fresh child, and a clear refusal
        assert [run["status"] for run in newsroom_on.runs("stadskrant")] == ["ok"] * 4
    finally:
        process.close()


def test_a_hung_crawl_is_killed_and_the_next_one_gets_a_fresh_process(server, newsroom, monkeypatch):
    server.serve("/traag.xml", fixture("leeg.xml"), content_type=RSS, delay=30)
    serve_stadskrant(server)
    newsroom.sources(feed_source("traag", server.url("/traag.xml"))
                     + feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))
    migrate(newsroom.engine)
    monkeypatch.setattr(crawlers.launch, "GRACE", 1.0)
    process = CrawlProcess({**newsroom.env, "NEWSROOM_CRAWL_DOWNLOAD_TIMEOUT": "60"})
    try:
        hung = process.crawl("traag", timeout=3)
        assert hung["status"] == "failed" and "crawl process killed" in hung["error"], hung
        assert all(run["status"] == "failed" for run in newsroom.runs("traag"))
        assert process.crawl("stadskrant")["new"] > 0
    finally:
        process.close()


def test_a_crawl_process_that_dies_mid_crawl_costs_only_that_crawl(server, newsroom):
    server.serve("/traag.xml", fixture("leeg.xml"), content_type=RSS, delay=30)
    serve_stadskrant(server)
    newsroom.sources(feed_source("traag", server.url("/traag.xml"))
                     + feed_source("stadskrant", server.url("/nieuws/stadskrant.xml")))
    migrate(newsroom.engine)
    process = CrawlProcess(newsroom.env)
    try:
        process.crawl("stadskrant")  # the child is up
        pipes = _pipes(process.child)
        threading.Timer(2.0, lambda: os.kill(process.child.pid, signal.SIGKILL)).start()
        dead = process.crawl("traag")
        assert dead["status"] == "failed" and "exited with code -9" in dead["error"], dead
        assert all(pipe.closed for pipe in pipes), "the dead child's pipes are closed"
        assert [run["status"] for run in newsroom.runs("traag")] == ["failed"]
        assert process.crawl("stadskrant")["not_modified"] == 1
    finally:
        process.close()


def _pipes(child) -> tuple:
    return child.stdin, child.stdout, child.stderr


def test_closing_a_crawl_process_closes_its_pipes(newsroom):
    migrate(newsroom.engine)
    process = CrawlProcess(newsroom.env)
    assert process.crawl("onbekend")["status"] == "failed"  # the child is up, and answered
    child = process.child
    pipes = _pipes(child)
    process.close()
    assert child.returncode == 0 and process.child is None
    assert all(pipe.closed for pipe in pipes), "stdin, stdout and stderr: none left for the garbage collector"

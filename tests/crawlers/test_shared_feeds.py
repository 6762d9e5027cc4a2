"""The feed parser over real-world feeds in ../shared/testdata/feeds (third-party data, never committed).

feedparser's own edge-case corpus (INDEX.tsv gives each file's description and the HTTP headers its
harness fakes), feedjira's real feeds, and Dutch feeds. Every file must parse without crashing into
sane posts, or be refused with a FeedError when it holds no usable entry.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from localserver import LocalServer
from sqlalchemy import select

from core.store.db import make_engine
from core.store.posts import canonical_url, content_hash
from core.store.schema import posts, sources
from crawlers.feeds import FeedError, parse_feed
from crawlers.launch import CrawlProcess

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
# feedparser's harness serves its corpus here; its expectations mention this address.
HARNESS = "http://127.0.0.1:8097/"


def assert_sane(entries: list[dict]) -> None:
    for entry in entries:
        assert isinstance(entry["external_id"], str) and entry["external_id"].strip()
        assert entry["url"] is None or entry["url"].startswith(("http://", "https://"))
        assert entry["image_url"] is None or entry["image_url"].startswith(("http://", "https://"))
        assert entry["published_at"].tzinfo is not None and entry["published_at"] <= NOW
        assert isinstance(entry["text"], str) and (entry["title"] or entry["text"] or entry["url"])
        lowered = entry["text"].lower()
        assert "<script" not in lowered and "onclick=" not in lowered and "<p>" not in lowered
        assert entry["lang"] is None or entry["lang"].isalpha()


def edge_cases(root: Path) -> list[dict]:
    with open(root / "feeds/feedparser_edge_cases/INDEX.tsv", encoding="utf-8", newline="") as index:
        return list(csv.DictReader(index, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_feedparser_edge_cases(shared_testdata):
    root = shared_testdata / "feeds/feedparser_edge_cases"
    refused, parsed = [], 0
    for case in edge_cases(shared_testdata):
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in [case["http_header_in_test"].partition(":")] if value
        )
        url = headers.get("content-location", HARNESS + case["file"])
        body = (root / case["file"]).read_bytes()
        try:
            feed = parse_feed(body, url, fetched_at=NOW, content_type=headers.get("content-type", ""))
        except FeedError:
            # Refused only when feedparser itself finds no entry in the document either.
            expected = feedparser.parse(io.BytesIO(body), response_headers=headers)
            assert not [e for e in expected.entries if e.get("title") or e.get("link") or e.get("summary")], case
            refused.append(case["file"])
            continue
        parsed += 1
        assert_sane(feed.entries)
        if "sanitize" in case["file"]:
            assert all("alert" not in e["text"] and "platypus.com/i/" not in e["text"] for e in feed.entries)
    assert parsed >= 100 and len(refused) <= 10, refused


def test_relative_links_resolve_against_xml_base_and_content_location(shared_testdata):
    root = shared_testdata / "feeds/feedparser_edge_cases/tests/wellformed/base"
    feed = parse_feed(
        (root / "http_entry_link_base_content_location.xml").read_bytes(), "http://example.com/", fetched_at=NOW
    )
    assert feed.entries[0]["url"] == "http://example.com/relative/link"
    feed = parse_feed((root / "http_entry_link_base_docuri.xml").read_bytes(), HARNESS + "x.xml", fetched_at=NOW)
    assert feed.entries[0]["url"] == "http://127.0.0.1:8097/relative/link"


@pytest.mark.parametrize("folder", ["feedjira", "trafilatura", "dutch"])
def test_real_world_feeds(shared_testdata, folder):
    files = sorted(p for p in (shared_testdata / "feeds" / folder).rglob("*") if p.is_file())
    assert files
    for path in files:
        feed = parse_feed(path.read_bytes(), f"http://127.0.0.1:8097/{path.name}", fetched_at=NOW)
        assert_sane(feed.entries)
        # Real feeds: besides the two generated empty Dutch feeds, every one has entries worth showing.
        if feed.entries:
            assert all(e["title"] or e["text"] for e in feed.entries), path
        else:
            assert folder == "dutch" and feed.format.startswith("rss"), path


def test_dutch_feeds_are_dutch_and_keep_stable_ids_across_snapshots(shared_testdata):
    snapshots = sorted((shared_testdata / "feeds/dutch/noordhollandsdagblad_alkmaar_snapshots").rglob("*.xml"))
    seen: dict[str, str] = {}
    overlap = 0
    for path in snapshots:
        feed = parse_feed(path.read_bytes(), "https://www.noordhollandsdagblad.nl/rss", fetched_at=NOW)
        assert feed.entries and all(e["lang"] == "nl" for e in feed.entries)
        for entry in feed.entries:
            if entry["url"] in seen:
                overlap += 1
                assert seen[entry["url"]] == entry["external_id"]
            seen[entry["url"]] = entry["external_id"]
    assert overlap > 0  # the snapshots overlap: an incremental crawl would store those once


# --- the same files crawled through the real spider -----------------------------------------------

def shared_feed_files(root: Path) -> list[tuple[Path, str]]:
    """(file, the Content-Type it is served with): feedparser's corpus with its harness's header, the rest
    with none (the spider must sniff them, as it must for a misconfigured server)."""
    corpus = root / "feeds/feedparser_edge_cases"
    files = []
    for case in edge_cases(root):
        name, _, value = case["http_header_in_test"].partition(":")
        content_type = value.strip() if name.strip().lower() == "content-type" else ""
        files.append((corpus / case["file"], content_type))
    others = sorted(p for p in (root / "feeds").rglob("*") if p.is_file() and corpus not in p.parents)
    return files + [(path, "") for path in others if path.suffix.lower() not in (".tsv", ".md", ".txt")]


def test_every_shared_feed_crawled_through_the_spider_stores_each_item_once(shared_testdata, write_config):
    server = LocalServer()
    files = shared_feed_files(shared_testdata)
    toml, expected = "", {}
    for number, (path, content_type) in enumerate(files):
        url = server.url(f"/feeds/{number}/{path.name}")
        server.serve(f"/feeds/{number}/{path.name}", path.read_bytes(), content_type=content_type or None)
        toml += (f'\n[[sources]]\nname = "feed-{number}"\nkind = "feed"\nurl = "{url}"\nlocal = true\n'
                 f'follow_articles = false\nmax_items = 100000\n')
        try:
            expected[f"feed-{number}"] = parse_feed(path.read_bytes(), url, fetched_at=NOW, content_type=content_type)
        except FeedError:
            expected[f"feed-{number}"] = None
    config = write_config(toml)
    db_url = f"sqlite:///{config.parent / 'feeds.db'}"
    crawler = CrawlProcess({"NEWSROOM_LOOPBACK_ONLY": "true", "NEWSROOM_CRAWL_DOWNLOAD_DELAY": "0",
                            "NEWSROOM_CRAWL_THROTTLE_START_DELAY": "0", "NEWSROOM_CRAWL_RETRY_TIMES": "0",
                            "NEWSROOM_DATABASE_URL": db_url, "NEWSROOM_CONFIG": str(config)})
    try:
        results = {name: crawler.crawl(name, timeout=60) for name in expected}
    finally:
        crawler.close()
        server.close()

    engine = make_engine(db_url)
    query = select(sources.c.name, posts.c.external_id, posts.c.canonical_url, posts.c.content_hash).join(sources)
    with engine.connect() as conn:
        stored = conn.execute(query).all()
    engine.dispose()
    crashes = [(n, r.get("error")) for n, r in results.items()
               if r["status"] not in ("ok", "failed") or "crawl crashed" in (r.get("error") or "")
               or "crawl process" in (r.get("error") or "") or " while reading " in (r.get("error") or "")]
    assert crashes == []
    by_source: dict[str, list] = {}
    for row in stored:
        by_source.setdefault(row.name, []).append(row)
    items = 0
    for name, feed in expected.items():
        rows = by_source.get(name, [])
        if feed is None:  # not a feed at all: a failed run with its reason, nothing stored
            assert results[name]["status"] == "failed" and not rows, (name, results[name])
            continue
        assert results[name]["status"] == "ok", (name, results[name])
        ids = [r.external_id for r in rows]
        assert len(ids) == len(set(ids)), name  # once
        keys = {r.external_id for r in rows} | {r.canonical_url for r in rows} | {r.content_hash for r in rows}
        for entry in feed.entries:  # every item stored, or a repeat of one stored (same id, URL or content)
            assert {entry["external_id"][:512], canonical_url(entry["url"]),
                    content_hash(entry["title"], entry["text"])} & keys, (name, entry["external_id"])
        items += len(feed.entries)
    print(f"\n{len(files)} files crawled: {len(stored)} posts stored from {items} parsed items, "
          f"{sum(f is None for f in expected.values())} files refused as no feed, 0 crashes")

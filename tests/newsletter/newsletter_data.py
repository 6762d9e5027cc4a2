"""Helpers for the newsletter tests: a store filled with a known week of Dutch posts
(fixtures/week47.json), an HTML reader, and a real SMTP server on 127.0.0.1.

Posts go in the way the crawlers store them (core.ingest: privacy, themes, stories via
core.store.save_post), scores into core.schema.scores the way the scorer writes them, and the alerts
through core.emerging.run_alerts, the scheduled job.
"""
from __future__ import annotations

import json
import socket
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlalchemy import insert

from core.analytics.emerging import run_alerts
from core.ingest.policy import Ingest
from core.store.schema import scores
from core.store.sources import get_source, sync_sources

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEEK = "2026-W47"
# When the spike of full containers was at its height (Wednesday 10:00): the alerts job ran then.
SPIKE_CHECK = datetime(2026, 11, 18, 10, 0, tzinfo=AMSTERDAM)

WATCH_EXTRA = """
[[themes]]
name = "evenementen"
label = "Evenementen"
terms = ["winterwelvaart", "kerstmarkt", "concert", "tentoonstelling"]
page = "https://gemeente.groningen.nl/evenementen"

[[sources]]
name = "rtvnoord"
kind = "feed"
url = "https://www.rtvnoord.nl/rss/index.xml"
local = true

[[sources]]
name = "dvhn"
kind = "feed"
url = "https://dvhn.nl/rss"
local = true

[[sources]]
name = "mastodon"
kind = "mastodon"
url = "https://mastodon.nl"
local = true

[[sources]]
name = "reddit"
kind = "reddit"
url = "https://www.reddit.com/r/groningen"
local = true

[newsletter]
recipients = ["communicatie@gemeente.groningen.nl", "webcare@gemeente.groningen.nl"]
sender = "newsroom@gemeente.groningen.nl"
base_url = "https://newsroom.groningen.example"

[alerts]
sensitivity = 3.0
min_posts = 5

[privacy]
public_roles = ["Gemeente Groningen", "gemeentegroningen@mastodon.nl"]
"""


def week_data() -> dict:
    return json.loads((FIXTURES / "week47.json").read_text(encoding="utf-8"))


def _probabilities(label: str, p: float) -> dict[str, float]:
    rest = 1.0 - p
    others = [name for name in ("negative", "neutral", "positive") if name != label]
    return {label: p, others[0]: round(rest * 2 / 3, 4), others[1]: round(rest / 3, 4)}


def add_posts(conn, config, settings, items: list[dict], prefix: str) -> list[int]:
    ingest = Ingest(config, settings)
    ids = []
    for n, entry in enumerate(items):
        item = {k: v for k, v in entry.items() if k not in ("source", "at", "label", "p")}
        item["external_id"] = f"{prefix}-{n}"
        item["published_at"] = datetime.strptime(entry["at"], "%Y-%m-%d %H:%M").replace(tzinfo=AMSTERDAM)
        item.setdefault("url", f"https://example.nl/{entry['source']}/{prefix}-{n}")
        status, post_id = ingest.store(conn, get_source(conn, entry["source"]), item)
        assert status == "new", f"fixture post {prefix}-{n} was stored as a duplicate"
        if entry.get("label"):
            conn.execute(insert(scores).values(
                post_id=post_id, label=entry["label"], **_probabilities(entry["label"], entry["p"]),
                model="test-model", model_version="1", lang="nl", flags=[], scored_at=item["published_at"],
            ))
        ids.append(post_id)
    return ids


def fill_store(engine, config, settings) -> None:
    """Week 47 (33 posts), week 46 (12 posts) and the alert the container spike opened."""
    data = week_data()
    with engine.begin() as conn:
        sync_sources(conn, config)
        add_posts(conn, config, settings, data["previous"], "w46")
        add_posts(conn, config, settings, data["posts"], "w47")
        opened = run_alerts(conn, config, now=SPIKE_CHECK)
    assert opened, "the container spike on Wednesday morning should have opened an alert"


class Page(HTMLParser):
    """What a test needs to know about a newsletter's HTML: headings, links, images, script tags."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self._heading: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)


SECTIONS = ("Kerncijfers", "Sentiment per dag", "Opkomende onderwerpen", "Thema's", "Opiniemakers",
            "Meest besproken verhalen", "Beelden van de week", "Citaten")
TEXT_SECTIONS = ("KERNCIJFERS", "SENTIMENT PER DAG", "OPKOMENDE ONDERWERPEN", "THEMA'S", "OPINIEMAKERS",
                 "MEEST BESPROKEN VERHALEN", "BEELDEN VAN DE WEEK", "CITATEN")
# Private people of the fixture as they wrote themselves: none may appear in a newsletter.
PRIVATE_NAMES = ("Jan de Vries", "jan.devries", "Ellen Visser", "ellen.v", "stadjer_1987", "boze_stadjer",
                 "Klaas Kramer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.received: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.original_content or envelope.content})
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be started and stopped on one port."""

    def __init__(self, **options):
        self.port = free_port()
        self.inbox = Inbox()
        self.options = options
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"



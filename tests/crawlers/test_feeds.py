"""Feed parsing on its own (no crawl): every fixture's quirk, entry by entry."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawlers.feeds import FeedError, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://127.0.0.1:8080/nieuws/stadskrant.xml"
NOW = datetime(2025, 11, 17, 12, 0, tzinfo=timezone.utc)


def parse(name: str, url: str = BASE, content_type: str = "application/rss+xml", body: bytes | None = None):
    data = body if body is not None else (FIXTURES / name).read_bytes()
    return parse_feed(data, url, fetched_at=NOW, content_type=content_type)


def by_id(feed) -> dict[str, dict]:
    return {entry["external_id"]: entry for entry in feed.entries}


def test_rss_with_bom_blank_lines_cdata_and_xml_base():
    feed = parse("stadskrant.xml")

    assert feed.format == "rss20" and feed.title == "Stadskrant Groningen" and feed.problems == []
    entries = by_id(feed)
    full = entries["stadskrant-2025-4401"]
    assert full["url"] == "http://127.0.0.1:8080/nieuws/artikel/nieuwe-fietsenstalling.html"
    assert full["image_url"] == "http://127.0.0.1:8080/beeld/fietsenstalling.jpg"
    assert full["published_at"] == datetime(2025, 11, 17, 8, 15, tzinfo=timezone.utc)
    assert full["author"] == "Marieke Dijkstra" and full["lang"] == "nl"
    assert full["extra"] == {"tags": ["Verkeer"]}
    # CDATA HTML to text: paragraphs become lines, the script is gone, entities are characters.
    assert full["text"].splitlines()[1].startswith("Wethouder Anouk van der Wal noemde de opening \"een opluchting")
    assert "trackPageView" not in full["text"] and "<p>" not in full["text"]
    assert entries["stadskrant-2025-4398"]["text"].endswith("& dat valt niet bij iedereen goed.")
    assert entries["stadskrant-2025-4398"]["extra"]["summary_only"] is True
    undated = entries["stadskrant-2025-4395"]
    assert undated["published_at"] == NOW and undated["extra"]["published_guessed"] is True
    assert undated["text"] == "Straten in Paddepoel stonden zondagavond blank. Lees het hele verhaal."
    assert entries["stadskrant-2025-4390"]["url"] is None


def test_atom_with_xml_base_html_and_xhtml_content():
    feed = parse("ommeland.atom", url="http://127.0.0.1:8080/feeds/ommeland.atom", content_type="application/atom+xml")

    assert feed.format == "atom10" and len(feed.entries) == 4
    first, second = feed.entries[:2]
    assert first["title"] == "Stad Groningen krijgt 300 extra parkeerplaatsen voor deelauto's"
    assert first["url"] == "http://127.0.0.1:8080/regio/2025/11/deelautos-groningen"
    assert first["published_at"] == datetime(2025, 11, 17, 7, 0, tzinfo=timezone.utc)
    assert first["author"] == "Femke Smit" and first["lang"] == "nl"
    assert first["text"].splitlines() == [
        "De gemeente Groningen reserveert volgend jaar driehonderd parkeerplaatsen voor deelauto's. Bewoners met "
        "een parkeervergunning die hun eigen auto wegdoen, krijgen een jaar lang korting op een abonnement.",
        "De plekken komen vooral in de Oosterpoort, de Schildersbuurt en de Korrewegwijk.",
    ]
    assert second["published_at"] == datetime(2025, 11, 16, 15, 20, tzinfo=timezone.utc)  # only <updated>
    assert second["text"].startswith("De nieuwe brug bij Dorkwerd ten noordwesten van Groningen")


def test_rss_1_0():
    feed = parse("raadsinformatie.rdf", url="http://127.0.0.1:8080/raad/rss", content_type="application/rdf+xml")

    assert feed.format == "rss10"
    first = feed.entries[0]
    assert first["url"] == "http://127.0.0.1:8080/raad/besluit/2025-311"
    assert first["author"] == "Griffie gemeente Groningen"
    assert first["published_at"] == datetime(2025, 11, 12, 21, 41, tzinfo=timezone.utc)


def test_json_feed():
    feed = parse("wijkblad.json", url="http://127.0.0.1:8080/wijkblad/feed.json", content_type="application/feed+json")

    assert feed.format == "json" and feed.title == "Wijkblad De Hoogte"
    entries = by_id(feed)
    assert set(entries) == {"wijkblad-118", "117", "wijkblad-116"}
    speeltuin = entries["wijkblad-118"]
    assert speeltuin["url"] == "http://127.0.0.1:8080/wijkblad/2025/speeltuin-heropend"
    assert speeltuin["image_url"] == "http://127.0.0.1:8080/wijkblad/beeld/speeltuin.jpg"  # from the content's <img>
    assert speeltuin["author"] == "Henk Veenstra" and speeltuin["extra"]["tags"] == ["buurt", "spelen"]
    assert entries["117"]["author"] == "Redactie Wijkblad"  # JSON Feed 1.0 'author'
    assert entries["117"]["published_at"] == datetime(2025, 11, 12, 8, 0, tzinfo=timezone.utc)
    assert entries["wijkblad-116"]["text"] == "Vrijdag is er weer een burenavond met soep en muziek."
    assert entries["wijkblad-116"]["extra"]["published_guessed"] is True


def test_declared_windows_1252_but_utf8_bytes_are_read_as_utf8():
    feed = parse("windows1252-gelogen.xml", content_type="application/rss+xml; charset=windows-1252")

    assert feed.entries[0]["title"] == "Café De Sleutel viert één jaar jubileum"
    assert "– met live muziek en crêpes" in feed.entries[0]["text"]


def test_real_windows_1252_stays_windows_1252():
    body = (FIXTURES / "windows1252-gelogen.xml").read_text("utf-8").encode("cp1252")

    feed = parse("", body=body, content_type="application/rss+xml")

    assert feed.entries[0]["title"] == "Café De Sleutel viert één jaar jubileum"


def test_invalid_bytes_do_not_crash():
    feed = parse("ongeldige-bytes.xml")

    entry = feed.entries[0]
    assert entry["title"].startswith("Buurtbewoners") and "bomenkap in Stad" in entry["title"]
    assert "Oosterparkwijk" in entry["text"]


def test_truncated_feed_keeps_complete_entries_and_reports_it():
    feed = parse("afgebroken.xml")

    assert [e["title"] for e in feed.entries] == [
        "Ijsbaan op de Vismarkt gaat weer open", "Stadsbus rijdt tijdelijk om door werkzaamheden",
    ]
    assert len(feed.problems) == 1 and feed.problems[0].startswith("feed is not well-formed (no element found")


@pytest.mark.parametrize(
    "name, content_type, message",
    [
        ("kapot.xml", "application/rss+xml", "malformed feed without usable entries: no element found"),
        ("onderhoud.html", "text/html; charset=utf-8", "not an RSS, Atom or JSON feed (text/html)"),
    ],
)
def test_unusable_documents_raise_feed_error(name, content_type, message):
    with pytest.raises(FeedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(name, content_type=content_type)


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "empty response"),
        (b"  \r\n", "empty response"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": ', "malformed JSON"),
        (b'{"data": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "without an items list"),
    ],
)
def test_unusable_bodies_raise_feed_error(body, message):
    with pytest.raises(FeedError, match=message):
        parse("", body=body, content_type="application/json")


def test_an_empty_feed_is_fine():
    feed = parse("leeg.xml")

    assert feed.entries == [] and feed.problems == [] and feed.title == "Persberichten gemeente Groningen"


def test_entries_without_id_get_their_link_or_a_content_hash():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>Met link</title><link>/a</link></item>
      <item><title>Zonder link</title><description>Alleen tekst over Stad.</description></item>
      <item></item>
    </channel></rss>"""

    feed = parse("", body=body)

    assert feed.entries[0]["external_id"] == "http://127.0.0.1:8080/a"
    assert feed.entries[1]["external_id"].startswith("sha256:") and len(feed.entries[1]["external_id"]) == 71
    assert feed.problems == ["1 entries without title, text or link skipped"]


def test_dates_in_the_future_or_before_the_web_are_not_believed():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>Toekomst</title><link>/t</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
      <item><title>Epoch</title><link>/e</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
    </channel></rss>"""

    feed = parse("", body=body)

    assert all(e["published_at"] == NOW and e["extra"]["published_guessed"] for e in feed.entries)


def test_media_rss_images_and_tracking_pixels():
    body = b"""<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
      <item><title>Media</title><link>/m</link><media:content url="/beeld/groot.jpg" medium="image"/></item>
      <item><title>Thumb</title><link>/t</link><media:thumbnail url="https://cdn.example.nl/klein.jpg"/></item>
      <item><title>Pixel</title><link>/p</link>
        <description>&lt;img src="/pixel.gif" width="1" height="1"&gt;&lt;p&gt;Tekst&lt;/p&gt;&lt;img src="/foto.jpg"&gt;</description></item>
    </channel></rss>"""

    images = [e["image_url"] for e in parse("", body=body).entries]

    assert images == [
        "http://127.0.0.1:8080/beeld/groot.jpg",
        "https://cdn.example.nl/klein.jpg",
        "http://127.0.0.1:8080/foto.jpg",
    ]

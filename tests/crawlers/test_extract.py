"""Text and metadata extraction: HTML fragments, article pages, dates, URLs, languages."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawlers.extract import (
    absolute_url,
    believe_utf8,
    extract_article,
    html_to_text,
    language_code,
    parse_datetime,
    plausible_date,
)
from crawlers.spiders.feed import merge_article

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 11, 17, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "markup, text",
    [
        ("<p>Eerste alinea.</p><p>Tweede   alinea.</p>", "Eerste alinea.\nTweede alinea."),
        ("Regel een<br>regel twee<br/>", "Regel een\nregel twee"),
        ("<div>Zie <a href='/x'>de <b>pagina</b></a>.</div><script>alert(1)</script><style>p{}</style>", "Zie de pagina."),
        ("Caf&eacute; &amp; terras &#8211; open", "Café & terras – open"),
        ("<ul><li>kliko</li><li>container</li></ul>", "kliko\ncontainer"),
        ("<p>Tekst<!-- verborgen --> zichtbaar</p>", "Tekst zichtbaar"),
        ("<p>\x00Stuur\x07 tekens\u00a0weg</p>", "Stuur tekens weg"),
        ("", ""),
        (None, ""),
        ("<p>  </p>", ""),
    ],
)
def test_html_to_text(markup, text):
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-11-16T21:05:00+01:00", datetime(2025, 11, 16, 20, 5, tzinfo=timezone.utc)),
        ("2025-11-12T08:00:00Z", datetime(2025, 11, 12, 8, 0, tzinfo=timezone.utc)),
        ("Mon, 17 Nov 2025 09:15:00 +0100", datetime(2025, 11, 17, 8, 15, tzinfo=timezone.utc)),
        ("2025-07-01T10:00:00", datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)),  # naive: Amsterdam summer time
        ("gisteren", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


def test_plausible_date():
    assert plausible_date(datetime(2025, 11, 1, tzinfo=timezone.utc), NOW) is not None
    assert plausible_date(datetime(2030, 1, 1, tzinfo=timezone.utc), NOW) is None
    assert plausible_date(datetime(1970, 1, 1, tzinfo=timezone.utc), NOW) is None


@pytest.mark.parametrize(
    "url, base, expected",
    [
        ("artikel/a.html", "http://127.0.0.1:8/nieuws/feed.xml", "http://127.0.0.1:8/nieuws/artikel/a.html"),
        ("/b", "http://127.0.0.1:8/nieuws/feed.xml", "http://127.0.0.1:8/b"),
        ("https://www.example.nl/c", "http://127.0.0.1:8/", "https://www.example.nl/c"),
        ("javascript:alert(1)", "http://127.0.0.1:8/", None),
        ("mailto:redactie@stadskrant.invalid", None, None),
        ("file:///etc/passwd", None, None),
        ("  ", None, None),
    ],
)
def test_absolute_url(url, base, expected):
    assert absolute_url(url, base) == expected


@pytest.mark.parametrize("value, code", [("nl-NL", "nl"), ("nl_BE", "nl"), ("NL", "nl"), ("", None), ("x-klingon", None), ("12", None)])
def test_language_code(value, code):
    assert language_code(value) == code


def test_article_page_main_text_and_metadata():
    html = (FIXTURES / "artikel-minder-klikos.html").read_text("utf-8")

    article = extract_article(html, "http://127.0.0.1:8/nieuws/artikel/minder-klikos.html")

    assert "zestig nieuwe containers" in article.text and "honderdvijftig meter" in article.text
    for boilerplate in ("cookies", "Colofon", "Lees ook", "Wie gaat dat betalen?"):
        assert boilerplate not in article.text
    assert article.author == "Sanne Hoekstra"
    assert article.published_at == datetime(2025, 11, 16, 16, 40, tzinfo=timezone.utc)
    assert article.image_url == "http://127.0.0.1:8/beeld/ondergrondse-container.jpg"
    assert article.lang == "nl"


def test_article_date_from_json_ld():
    html = (FIXTURES / "artikel-wateroverlast-paddepoel.html").read_text("utf-8")

    article = extract_article(html, "http://127.0.0.1:8/nieuws/artikel/wateroverlast-paddepoel.html")

    assert article.published_at == datetime(2025, 11, 16, 20, 5, tzinfo=timezone.utc)
    assert article.published_day_only is False
    assert article.text.startswith("Door de hevige regenval van zondagavond")


def test_a_page_without_text_gives_no_article():
    assert extract_article("<html><head><title>Leeg</title></head><body><script>x()</script></body></html>", "http://127.0.0.1:8/") is None


def test_merge_article_completes_a_teaser_and_drops_a_repeated_title():
    html = (FIXTURES / "artikel-minder-klikos.html").read_text("utf-8")
    article = extract_article(html, "http://127.0.0.1:8/nieuws/artikel/minder-klikos.html")
    entry = {
        "title": "Gemeente wil minder kliko's in de binnenstad", "text": "Korte teaser.", "author": None,
        "image_url": None, "lang": None, "published_at": NOW, "extra": {"published_guessed": True},
    }

    merge_article(entry, article)

    assert entry["text"].startswith("Bewoners van de binnenstad van Groningen moeten hun restafval")
    assert entry["extra"] == {"summary": "Korte teaser.", "article_text": True}
    assert entry["published_at"] == datetime(2025, 11, 16, 16, 40, tzinfo=timezone.utc)
    assert entry["author"] == "Sanne Hoekstra" and entry["lang"] == "nl"


def test_merge_article_keeps_a_longer_feed_text():
    article = extract_article((FIXTURES / "artikel-wateroverlast-paddepoel.html").read_text("utf-8"), "http://127.0.0.1:8/a")
    long_text = "Volledige tekst uit de feed. " * 40
    entry = {"title": "t", "text": long_text, "author": "Feed Auteur", "image_url": None, "lang": "nl",
             "published_at": NOW, "extra": {}}

    merge_article(entry, article)

    assert entry["text"] == long_text and entry["author"] == "Feed Auteur"
    assert entry["published_at"] == NOW  # the feed's own date wins


@pytest.mark.parametrize(
    "body, declared, expected",
    [
        ("Café één".encode("utf-8"), "cp1252", "Café één"),
        ("Café één".encode("utf-8"), "iso-8859-1", "Café één"),
        ("Café".encode("cp1252"), "cp1252", None),  # really windows-1252
        (b"plain ascii", "cp1252", None),
        ("Café".encode("utf-8"), "utf-8", None),  # declared right: nothing to fix
        ("Café".encode("utf-8"), "no-such-codec", None),
    ],
)
def test_believe_utf8(body, declared, expected):
    assert believe_utf8(body, declared) == expected

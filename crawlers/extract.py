"""Text out of markup: HTML fragments to clean text, article pages to main text and metadata, dates.

Plain functions without Scrapy, shared by every spider (feed summaries, Mastodon's HTML content,
forum posts) and tested on their own.
"""
from __future__ import annotations

import calendar
import codecs
import html as htmllib
import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tr", "ul",
}
_DROPPED = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "template", "form", "button", "head")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# Characters XML and most tools choke on; they turn up in badly encoded feeds.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def normalise_text(text: str | None) -> str:
    """Collapse runs of spaces, drop control characters and empty lines; keep line breaks."""
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(markup: str | None) -> str:
    """An HTML fragment (a feed summary, a toot) as readable text: blocks become lines, scripts vanish."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup:
        return normalise_text(htmllib.unescape(markup))
    try:
        root = lxml.html.fragment_fromstring(_CONTROL.sub("", markup), create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise_text(markup)
    for element in list(root.iter(*_DROPPED)):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    return normalise_text(root.text_content())


_SINGLE_BYTE_CODECS = {"ascii", "iso8859-1", "iso8859-15", "cp1252"}


def believe_utf8(body: bytes, declared: str | None) -> str | None:
    """`body` decoded as UTF-8 when it is declared single-byte (windows-1252, ISO-8859-1) yet is valid
    UTF-8 with non-ASCII text: a CMS that changed encoding but not its template. Otherwise None."""
    try:
        if not declared or codecs.lookup(declared).name not in _SINGLE_BYTE_CODECS or body.isascii():
            return None
        return body.decode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return None


# --- dates ---------------------------------------------------------------------------------------

def struct_to_datetime(value) -> datetime | None:
    """feedparser's *_parsed (a UTC time.struct_time) as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_datetime(value: str | None, *, default_tz: tzinfo = AMSTERDAM) -> datetime | None:
    """ISO 8601 / RFC 3339 or RFC 822 text as an aware UTC datetime; naive times are `default_tz`."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            from feedparser.datetimes import _parse_date

            return struct_to_datetime(_parse_date(value))
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(timezone.utc)


def plausible_date(value: datetime | None, now: datetime) -> datetime | None:
    """A publication date we can believe: not before the web, not more than a day ahead of us."""
    if value is None or value.year < 1995 or value > now + timedelta(days=1):
        return None
    return value


# --- article pages -------------------------------------------------------------------------------

@dataclass
class Article:
    text: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    published_day_only: bool = False
    image_url: str | None = None
    lang: str | None = None


_DATE_META = (
    "article:published_time", "og:published_time", "datePublished", "date", "pubdate", "publishdate",
    "dc.date.issued", "dcterms.created", "dc.date", "sailthru.date",
)


def extract_article(html: str, url: str) -> Article | None:
    """Main text, author, date, lead image and language of an article page; None when there is no text."""
    import trafilatura  # heavy; only crawls that follow articles pay for it

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = normalise_text(data.get("text"))
    if not text:
        return None
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        tree = None
    published, day_only = (_meta_published(tree) if tree is not None else None), False
    if published is None and data.get("date"):
        published, day_only = _day_to_datetime(data["date"]), True
    image = (_meta_image(tree) if tree is not None else None) or data.get("image")
    lang = data.get("language") or (tree.get("lang") if tree is not None else None)
    return Article(
        text=text,
        title=normalise_text(data.get("title")) or None,
        author=normalise_text(data.get("author")) or None,
        published_at=published,
        published_day_only=day_only,
        image_url=absolute_url(image, url),
        lang=language_code(lang),
    )


def _meta_published(tree) -> datetime | None:
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if key in (k.lower() for k in _DATE_META):
            found = parse_datetime(element.get("content"))
            if found:
                return found
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        found = _json_ld_published(script)
        if found:
            return found
    for value in tree.xpath("//article//time/@datetime | //time[@pubdate]/@datetime"):
        found = parse_datetime(value)
        if found:
            return found
    return None


def _json_ld_published(script: str) -> datetime | None:
    try:
        data = json.loads(script)
    except ValueError:
        return None
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if isinstance(node.get("datePublished"), str):
                return parse_datetime(node["datePublished"])
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return None


def _meta_image(tree) -> str | None:
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").lower()
        if key in ("og:image", "og:image:url", "twitter:image") and element.get("content"):
            return element.get("content").strip()
    return None


def _day_to_datetime(day: str) -> datetime | None:
    """A page that only gives the day: noon in Amsterdam, so the day survives time zones."""
    try:
        date = datetime.strptime(day[:10], "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(date, time(12), tzinfo=AMSTERDAM).astimezone(timezone.utc)


# --- small helpers -------------------------------------------------------------------------------

def absolute_url(url: str | None, base: str | None) -> str | None:
    """`url` resolved against `base`; None unless the result is http(s)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    resolved = urljoin(base, url) if base else url
    try:
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resolved


def language_code(value: str | None) -> str | None:
    """'nl-NL', 'nl_BE', 'NL' -> 'nl'; anything that isn't a language tag -> None."""
    if not value or not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None

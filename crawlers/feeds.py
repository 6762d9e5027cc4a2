"""Feed documents to post items: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

`parse_feed` takes the raw bytes as served and returns post dicts in the shape core.store.save_post
takes. It never raises on bad input except FeedError, which means: this is not a usable feed at all.
"""
from __future__ import annotations

import io
import json
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser

from core.store.posts import content_hash

from .extract import (
    absolute_url,
    html_to_text,
    language_code,
    normalise_text,
    parse_datetime,
    plausible_date,
    struct_to_datetime,
)

_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_XML_ENCODING = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_SINGLE_BYTE = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252"}
_IMAGE_TYPES = re.compile(r"\.(jpe?g|png|gif|webp|avif)(\?|$)", re.I)
_IMG_TAG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["'][^>]*>""", re.I)
_TRACKING_PIXEL = re.compile(r"""(width|height)\s*=\s*["']?[01]["'\s/>]|pixel|/tracking/|feedburner\.com/~r""", re.I)


class FeedError(Exception):
    """The document holds no usable feed (not a feed, or broken before its first entry)."""


@dataclass
class ParsedFeed:
    format: str  # feedparser's version ('rss20', 'atom10', 'rss10'...) or 'json'
    title: str = ""
    entries: list[dict[str, Any]] = field(default_factory=list)
    # Not fatal, but worth telling the administrator: ill-formed XML, skipped entries.
    problems: list[str] = field(default_factory=list)


def parse_feed(body: bytes, url: str, *, fetched_at: datetime, content_type: str = "") -> ParsedFeed:
    """Parse a feed served at `url`; entries without a usable date get `fetched_at` (flagged in extra)."""
    stripped = body.lstrip(b" \t\r\n" + _UTF8_BOM)
    if not stripped:
        raise FeedError("empty response")
    if stripped[:1] in (b"{", b"[") or "json" in content_type.lower():
        return _parse_json_feed(body, url, fetched_at)
    return _parse_xml_feed(body, url, fetched_at, content_type)


# --- RSS and Atom --------------------------------------------------------------------------------

def _prepare_xml(body: bytes, content_type: str) -> tuple[bytes, str]:
    """Undo two common publishing faults before parsing.

    Blank lines before `<?xml` make the XML parser give up; and feeds that declare windows-1252 or
    ISO-8859-1 while their bytes are UTF-8 would come out as mojibake ('CafÃ©'). Bytes that are valid
    UTF-8 with non-ASCII characters are practically never single-byte text, so we believe the bytes.
    """
    if body.startswith(_WIDE_BOMS):
        return body, content_type
    bom = _UTF8_BOM if body.startswith(_UTF8_BOM) else b""
    rest = body[len(bom):].lstrip(b" \t\r\n")
    try:
        rest.decode("utf-8")
        is_utf8 = not rest.isascii()
    except UnicodeDecodeError:
        is_utf8 = False
    if is_utf8:
        declared = _XML_ENCODING.match(rest)
        if declared and declared.group(2).decode("ascii").lower() in _SINGLE_BYTE:
            rest = _XML_ENCODING.sub(rb"\g<1>utf-8\g<3>", rest, count=1)
        charset = _CHARSET.search(content_type)
        if charset and charset.group(1).lower() in _SINGLE_BYTE:
            content_type = _CHARSET.sub("charset=utf-8", content_type)
    return bom + rest, content_type


def _parse_xml_feed(body: bytes, url: str, fetched_at: datetime, content_type: str) -> ParsedFeed:
    body, content_type = _prepare_xml(body, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO, never the bytes themselves: feedparser treats a string as a possible URL or file name.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.version and not parsed.entries:
        kind = content_type.split(";")[0].strip() or "unknown content type"
        raise FeedError(f"not an RSS, Atom or JSON feed ({kind})")
    feed = ParsedFeed(format=parsed.version or "unknown", title=normalise_text(parsed.feed.get("title")))
    feed_lang = language_code(parsed.feed.get("language"))
    skipped = 0
    for entry in parsed.entries:
        item = _feedparser_item(entry, url, feed_lang, fetched_at)
        if item is None:
            skipped += 1
        else:
            feed.entries.append(item)
    problem = _bozo_problem(parsed)
    if problem and not feed.entries and _structural(parsed.get("bozo_exception")):
        raise FeedError(f"malformed feed without usable entries: {problem}")
    skipped_text = f"{skipped} entries without title, text or link skipped" if skipped else ""
    if problem:
        recovered = f"{len(feed.entries)} entries recovered"
        feed.problems.append(f"feed is not well-formed ({problem}); " + ", ".join(filter(None, [recovered, skipped_text])))
    elif skipped:
        feed.problems.append(skipped_text)
    return feed


def _structural(exc) -> bool:
    """Broken structure (truncated, unclosed tags); HTML entities in XML the loose parser repairs."""
    return isinstance(exc, xml.sax.SAXException) and "undefined entity" not in str(exc)


def _bozo_problem(parsed) -> str | None:
    """A real well-formedness problem; encoding overrides that feedparser repaired are not one."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)):
        return None
    if isinstance(exc, xml.sax.SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return f"{exc.__class__.__name__}: {exc}" if exc else "ill-formed"


def _feedparser_item(entry, feed_url: str, feed_lang: str | None, fetched_at: datetime) -> dict[str, Any] | None:
    # FeedBurner and friends link to their own redirector; the original link is the article's.
    link = absolute_url(entry.get("feedburner_origlink") or entry.get("link"), feed_url)
    title = _detail_text(entry.get("title_detail"), entry.get("title"))
    contents = [c for c in entry.get("content", []) if c.get("value")]
    body = max(contents, key=lambda c: len(c["value"])) if contents else entry.get("summary_detail")
    text = _detail_text(body, entry.get("summary"))
    if not (title or text or link):
        return None
    author_detail = entry.get("author_detail") or {}
    author = author_detail.get("name") or entry.get("author")
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        published = plausible_date(struct_to_datetime(entry.get(key)), fetched_at)
        if published:
            break
    lang = language_code(
        (body or {}).get("language") or (entry.get("title_detail") or {}).get("language")
    ) or feed_lang
    html_parts = [c.get("value", "") for c in contents] + [entry.get("summary", "")]
    extra: dict[str, Any] = {}
    tags = [normalise_text(t.get("term") or t.get("label")) for t in entry.get("tags", [])]
    if any(tags):
        extra["tags"] = [t for t in tags if t][:20]
    comments = absolute_url(entry.get("comments"), link or feed_url)
    if comments:
        extra["comments_url"] = comments
    return _finish_item(
        external_id=entry.get("id") or link,
        url=link,
        title=title,
        text=text,
        author=author,
        published=published,
        image_url=_feedparser_image(entry, link or feed_url, html_parts),
        lang=lang,
        extra=extra,
        fetched_at=fetched_at,
        has_full_content=bool(contents),
    )


def _detail_text(detail, fallback: str | None) -> str:
    """feedparser gives text/plain values unescaped and HTML values sanitised: strip the latter."""
    if detail and detail.get("value") is not None:
        value = detail["value"]
        kind = detail.get("type", "")
        return html_to_text(value) if "html" in kind else normalise_text(value)
    return html_to_text(fallback) if fallback else ""


def _feedparser_image(entry, base: str, html_parts: list[str]) -> str | None:
    for media in entry.get("media_content", []):
        kind = (media.get("medium") or media.get("type") or "").lower()
        if kind.startswith("image") or (not kind and _IMAGE_TYPES.search(media.get("url", ""))):
            found = absolute_url(media.get("url"), base)
            if found:
                return found
    for thumb in entry.get("media_thumbnail", []):
        found = absolute_url(thumb.get("url"), base)
        if found:
            return found
    for enclosure in entry.get("enclosures", []):
        if (enclosure.get("type") or "").lower().startswith("image") or _IMAGE_TYPES.search(enclosure.get("href", "")):
            found = absolute_url(enclosure.get("href"), base)
            if found:
                return found
    return _first_image(html_parts, base)


def _first_image(html_parts: list[str], base: str) -> str | None:
    for part in html_parts:
        for match in _IMG_TAG.finditer(part or ""):
            if _TRACKING_PIXEL.search(match.group(0)):
                continue
            found = absolute_url(match.group(1), base)
            if found:
                return found
    return None


# --- JSON Feed (https://jsonfeed.org/version/1.1) --------------------------------------------------

def _parse_json_feed(body: bytes, url: str, fetched_at: datetime) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise FeedError(f"malformed JSON: {exc}") from None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedError("JSON document but not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an items list")
    base = absolute_url(data.get("home_page_url"), url) or url
    feed = ParsedFeed(format="json", title=normalise_text(str(data.get("title") or "")))
    feed_lang = language_code(data.get("language"))
    skipped = 0
    for entry in items:
        item = _json_item(entry, base, feed_lang, fetched_at) if isinstance(entry, dict) else None
        if item is None:
            skipped += 1
        else:
            feed.entries.append(item)
    if skipped:
        feed.problems.append(f"{skipped} items without title, text or link skipped")
    return feed


def _json_item(entry: dict, base: str, feed_lang: str | None, fetched_at: datetime) -> dict[str, Any] | None:
    link = absolute_url(_str(entry.get("url")) or _str(entry.get("external_url")), base)
    title = normalise_text(_str(entry.get("title")))
    content_html = _str(entry.get("content_html"))
    text = html_to_text(content_html) if content_html else normalise_text(_str(entry.get("content_text")))
    if not text:
        text = normalise_text(_str(entry.get("summary")))
    if not (title or text or link):
        return None
    authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
    author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
    published = None
    for key in ("date_published", "date_modified"):
        published = plausible_date(parse_datetime(_str(entry.get(key))), fetched_at)
        if published:
            break
    image = _str(entry.get("image")) or _str(entry.get("banner_image"))
    if not image:
        for attachment in entry.get("attachments") or []:
            if isinstance(attachment, dict) and str(attachment.get("mime_type", "")).startswith("image"):
                image = _str(attachment.get("url"))
                break
    extra: dict[str, Any] = {}
    tags = [normalise_text(str(t)) for t in entry.get("tags") or [] if isinstance(t, (str, int))]
    if tags:
        extra["tags"] = tags[:20]
    entry_id = entry.get("id")
    return _finish_item(
        external_id=str(entry_id) if isinstance(entry_id, (str, int)) and str(entry_id).strip() else link,
        url=link,
        title=title,
        text=text,
        author=author,
        published=published,
        image_url=absolute_url(image, link or base) or _first_image([content_html], link or base),
        lang=language_code(_str(entry.get("language"))) or feed_lang,
        extra=extra,
        fetched_at=fetched_at,
        has_full_content=bool(content_html or entry.get("content_text")),
    )


def _str(value) -> str:
    return value if isinstance(value, str) else ""


# --- common --------------------------------------------------------------------------------------

def _finish_item(
    *, external_id, url, title, text, author, published, image_url, lang, extra, fetched_at, has_full_content
) -> dict[str, Any]:
    if not published:
        # No (believable) date: the moment we saw it is the best we know; say so.
        published = fetched_at
        extra["published_guessed"] = True
    if not has_full_content:
        extra["summary_only"] = True
    external_id = normalise_text(external_id) if isinstance(external_id, str) else None
    return {
        "external_id": external_id or f"sha256:{content_hash(title, text)}",
        "url": url,
        "title": title or None,
        "text": text,
        "author": (normalise_text(author)[:300] or None) if isinstance(author, str) else None,
        "published_at": published,
        "image_url": image_url,
        "lang": lang,
        "extra": extra,
    }

"""HTML forums without an API, read with the selectors given in the TOML file: a new forum needs no code.

Selectors are CSS (Scrapy/parsel syntax, with ::text and ::attr(name)) or XPath (starting with /, (, ./ or ..).
Source options:
  url               the thread list (the forum's index page)
  thread_links      on the thread list: the links to threads, e.g. "a.thread-link::attr(href)"
  post              on a thread page: one element per post, e.g. "article.post"
  text              within a post: the message, e.g. ".post-body"
  author            within a post: the author's name (optional)
  date              within a post: when it was written, e.g. "time::attr(datetime)" (optional; ISO 8601
                    or Dutch: "21 november 2026 14:05", "gisteren 09:12", "21-11-2026 14:05")
  date_format       strptime format for dates in another shape, e.g. "%d %b %Y, %H:%M" (Dutch month
                    and day names are understood)
  next_page         on the thread list and thread pages: the link to the next page (optional)
  title             on a thread page: the thread's title (default "h1")
  post_id           within a post: a stable id (default: the post element's id or data-post-id
                    attribute, else a hash of thread, author, date and text)
  image             within the message: a picture (default "img::attr(src)")
  exclude           within the message: parts that are not the author's words, e.g.
                    ["blockquote", ".signature"]
  max_pages         thread-list pages per crawl (default 2)
  max_threads       threads read per crawl (default 50)
  max_thread_pages  pages per thread per crawl (default 10)
  delay             seconds between requests (default: the crawl settings)

Incremental: per thread the last page read; the next crawl starts there (new posts land on the last
page) with conditional GET, and follows next_page from it.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable
from urllib.parse import urldefrag, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector
from parsel.selector import SelectorList
from scrapy.http import TextResponse

from core.config.settings import get_settings

from ..apis import OptionError, without
from ..dutch_dates import parse_dutch_datetime
from ..extract import absolute_url, html_to_text, normalise_text, parse_datetime
from ..items import Post
from .api import PlatformSpider
from .base import PRIMARY

REMEMBERED_THREADS = 1000
SELECTOR_OPTIONS = ("thread_links", "post", "text", "author", "date", "next_page", "title", "post_id", "image")


def select(selector, expression: str) -> SelectorList:
    """CSS, or XPath when the expression starts like one."""
    if expression.lstrip().startswith(("/", "(", "./", "..")):
        return selector.xpath(expression)
    return selector.css(expression)


def selected_text(found: SelectorList) -> str:
    """What a selector found, as text: strings (::text, ::attr) joined, elements by their text."""
    parts = []
    for item in found:
        value = item.get()
        parts.append(normalise_text(value) if isinstance(item.root, str) else html_to_text(value))
    return normalise_text(" ".join(p for p in parts if p))


class ForumSpider(PlatformSpider):
    kind = "forum"
    platform = "the forum"
    # Web pages, not an API: robots.txt applies (the crawl settings obey it).

    def configure(self) -> None:
        options = self.options
        for required in ("thread_links", "post", "text"):
            if not options.text(required):
                raise OptionError(f"option {required} (a CSS or XPath selector) is required for a forum source")
        self.selectors = {name: options.text(name) for name in SELECTOR_OPTIONS if options.text(name)}
        self.selectors.setdefault("title", "h1")
        self.selectors.setdefault("image", "img::attr(src)")
        self.exclude = options.texts("exclude")
        probe = Selector(text="<html><body><p>x</p></body></html>")
        for name, expression in self.selectors.items():
            try:
                select(probe, expression)
            except Exception as exc:  # parsel raises several kinds for a bad expression
                raise OptionError(f"option {name}: {expression!r} is not a valid CSS or XPath selector ({exc})") from None
        for expression in self.exclude:
            try:
                probe.css(expression)
            except Exception as exc:
                raise OptionError(f"option exclude: {expression!r} is not a valid CSS selector ({exc})") from None
        self.date_format = options.text("date_format")
        self.max_pages = options.integer("max_pages", 2, 1, 100)
        self.max_threads = options.integer("max_threads", 50, 1, 1000)
        self.max_thread_pages = options.integer("max_thread_pages", 10, 1, 1000)
        self.tz = ZoneInfo(get_settings().timezone)
        self.threads: dict[str, dict[str, Any]] = self.job.new_state.setdefault("threads", {})
        self.listed: set[str] = set()  # threads asked for in this crawl
        self.host = urlsplit(self.job.source.url).netloc

    def first_requests(self) -> Iterable:
        yield self.page(self.job.source.url, self.parse_list, primary=True, cb_kwargs={"page": 1})

    def page(self, url: str, callback, *, primary: bool = False, cb_kwargs: dict[str, Any]):
        return self.conditional_request(
            url, callback=callback, errback=self.api_failed if primary else self.api_request_failed,
            meta={PRIMARY: primary}, cb_kwargs=cb_kwargs,
        )

    def html(self, response) -> TextResponse | None:
        if response.status == 304:
            self.job.counts.not_modified += 1
            return None
        if not isinstance(response, TextResponse):
            kind = response.headers.get(b"Content-Type", b"unknown type").decode("latin-1")
            self.job.error(f"{response.url} is not a web page ({kind})")
            return None
        self.remember_validators(response)
        return response

    # --- the thread list -------------------------------------------------------------------------------

    def parse_list(self, response, page: int):
        if self.html(response) is None:
            return
        for found in select(response, self.selectors["thread_links"]):
            href = found.attrib.get("href") if not isinstance(found.root, str) else found.get()
            thread = absolute_url(href, response.url)
            if not thread:
                continue
            thread = urldefrag(thread)[0]
            if urlsplit(thread).netloc != self.host or thread in self.listed:
                continue  # a link to another site is no thread of this forum; a thread linked twice is one
            if len(self.listed) >= self.max_threads:
                break
            self.listed.add(thread)
            # Start where the last crawl stopped: new posts land on the thread's last page.
            start = self.job.state.get("threads", {}).get(thread, {}).get("page", thread)
            yield self.page(start, self.parse_thread, cb_kwargs={"thread": thread, "pages": 1})
        following = self.next_page(response)
        if following and page < self.max_pages and len(self.listed) < self.max_threads:
            yield self.page(following, self.parse_list, primary=True, cb_kwargs={"page": page + 1})

    def next_page(self, response) -> str | None:
        expression = self.selectors.get("next_page")
        if not expression:
            return None
        found = select(response, expression)
        if not found:
            return None
        first = found[0]
        href = first.attrib.get("href") if not isinstance(first.root, str) else first.get()
        following = absolute_url(href, response.url)
        return following if following and urlsplit(following).netloc == self.host else None

    # --- thread pages ----------------------------------------------------------------------------------

    def parse_thread(self, response, thread: str, pages: int):
        if self.html(response) is None:
            return
        known = self.threads.get(thread, {})
        first_page = urldefrag(response.url)[0] == thread or (not known and pages == 1)
        title = selected_text(select(response, self.selectors["title"])) or None
        for index, element in enumerate(select(response, self.selectors["post"])):
            post = self.convert(self.forum_post, element, response, thread)
            if post is None:
                continue
            if first_page and index == 0:
                post["title"] = title
                post["url"] = thread
                known["opener"] = post["external_id"]
            elif known.get("opener"):
                post["parent_external_id"] = known["opener"]
            if self.keep(post):
                yield Post(post)
        known["page"] = response.url
        self.threads.pop(thread, None)
        self.threads[thread] = known  # re-inserted: the dict stays in order of last visit
        for old in list(self.threads)[:-REMEMBERED_THREADS]:
            del self.threads[old]
        following = self.next_page(response)
        if following and following != response.url and pages < self.max_thread_pages:
            yield self.page(following, self.parse_thread, cb_kwargs={"thread": thread, "pages": pages + 1})

    def forum_post(self, element, response, thread: str) -> dict[str, Any] | None:
        found = select(element, self.selectors["text"])
        markup = "".join(item.get() for item in found if not isinstance(item.root, str))
        if self.exclude:
            markup = without(markup, self.exclude)
        text = html_to_text(markup) if markup else selected_text(found)
        if not text:
            return None
        author = selected_text(select(element, self.selectors["author"])) if "author" in self.selectors else ""
        written = selected_text(select(element, self.selectors["date"])) if "date" in self.selectors else ""
        published = self.parse_date(written)
        extra: dict[str, Any] = {}
        if published is None:
            published = self.job.started_at
            extra["published_guessed"] = True
            if written:
                extra["date_text"] = written[:100]
        anchor = self.anchor(element)
        if "post_id" in self.selectors:  # the administrator vouches that it is unique on the forum
            post_id = selected_text(select(element, self.selectors["post_id"])) or None
        else:  # an element id may only be unique within its page ("post-3"): qualify it with the thread
            post_id = f"{thread}#{anchor}" if anchor else None
        if not post_id:
            material = "\x00".join((thread, author, written, text[:500]))
            post_id = "sha1:" + hashlib.sha1(material.encode("utf-8")).hexdigest()
        if anchor:
            extra["permalink"] = f"{urldefrag(response.url)[0]}#{anchor}"
        image = None
        if markup:
            image_found = select(Selector(text=markup), self.selectors["image"]).get()
            image = absolute_url(image_found, response.url)
        return {
            "external_id": post_id,
            # Posts share their page's URL, and the store treats one URL as one post (it drops the
            # #fragment): only the opener gets the thread's URL; each post's own link is in extra.
            "url": None,
            "title": None,
            "text": text,
            "author": author or None,
            "author_id": author or None,
            "author_reach": None,
            "likes": None,
            "reposts": None,
            "replies": None,
            "image_url": image,
            "lang": None,
            "parent_external_id": None,
            "thread_url": thread,
            "published_at": published,
            "extra": extra,
        }

    @staticmethod
    def anchor(element) -> str | None:
        attributes = element.attrib if not isinstance(element.root, str) else {}
        for name in ("id", "data-post-id", "data-id"):
            if attributes.get(name):
                return attributes[name]
        return None

    def parse_date(self, written: str):
        if not written:
            return None
        if not self.date_format and written[:4].isdigit() and "-" in written[:8]:
            found = parse_datetime(written, default_tz=self.tz)
            if found:
                return found
        return parse_dutch_datetime(written, now=self.job.started_at, tz=self.tz, date_format=self.date_format)

    def hint(self, status: int, said: str, request) -> str | None:
        if status in (401, 403):
            return "the forum refuses visitors here: is the thread list public?"
        return None

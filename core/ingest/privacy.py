"""Pseudonymisation of private individuals at ingest (AVG/GDPR data minimisation).

Authors on the public-role list (council members, journalists, organisations, the municipality's own
accounts, media) keep their names; every other author of a forum or social post is stored only as a
keyed hash (HMAC-SHA256 with the secret NEWSROOM_PSEUDONYM_KEY) and shown as a stable pseudonym such as
"inwoner-3fa9c2d1". News articles are written by journalists and media, who are public by role.
@mentions and u/ mentions inside the text get the same treatment.

Ids and links that reveal a person get one generic rule, for every source kind (`apply`):

- A value reveals a person when it holds a Bluesky/AT DID (`did:plc:…`, `did:web:…`), a profile path
  (`/@name`, `/user/name`, `/users/name`, `/u/name`, `/profile/name`, `/members/name`, `/channel/id`,
  `/r/u_name`, `profile.php?id=…`, `/name/status/…`), a Reddit profile's subreddit `u_name`, the
  author's handle (`author_id`) or an identifier the spider marked.
- Ids (`external_id`, `parent_external_id`, and `extra` entries whose key ends in `_of`, such as
  `quote_of`) that reveal a person are stored as a keyed hash ("h:" + 32 hex digits, HMAC with the same
  key) for every author, public or not: the same DID or URL always hashes the same way, so a reply still
  finds its parent and duplicates are still recognised.
- Links (`url`, `thread_url`, `image_url`, every other string in `extra`) that reveal a person are kept
  only when every person they reveal is public: the author on the public-role list, anyone else only
  when that identifier is on the list itself. Otherwise a link field is emptied and an `extra` entry
  dropped. Links that name no one (a Mastodon `/statuses/123`, a Reddit `/r/…/comments/…` permalink)
  stay: the post behind them is public, and its text can be found on the web anyway.

How a spider marks what is person-revealing (both optional, lists of strings, never stored):
`author_aliases` — the author's identifiers other than `author_id` that may occur in ids and links (a
DID, a numeric account id, a profile URL); `people` — identifiers of other people that occur in them
(the author of the post replied to, quoted or at the root of the thread). The patterns above catch the
common forms without marking; an identifier counts as the author's only when it is their `author_id`,
their name or a marked alias, so a public author's link holding their DID is kept only when the spider
marks that DID as theirs (crawlers/spiders/bluesky.py does).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import urlsplit

from core.matching import fold

# @name, @name@instance.social, @name.bsky.social, u/name (Reddit)
_MENTION = re.compile(r"(?<![\w@/])(@[A-Za-z0-9_.\-]+(?:@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})?|/?\bu/[A-Za-z0-9_\-]{3,20})")


# Forms of ids and links that name a person on the common platforms; the matching group is the identifier.
_REVEALING = re.compile(
    r"(did:(?:plc|web):[A-Za-z0-9._:%\-]+)"
    r"|/@([A-Za-z0-9_.\-]+(?:@[A-Za-z0-9.\-]+)?)"
    r"|/(?:user|users|u|profile|members|channel)/([^/?#\s]+)"
    r"|(?:^|/r/)(u_[A-Za-z0-9_\-]{3,})"
    r"|profile\.php\?id=(\d+)"
    r"|/([A-Za-z0-9_]{2,30})/status/\d",
    re.IGNORECASE,
)
# A pseudonymised @mention as `mentions` writes it into a post's text.
_PSEUDONYM_MENTION = re.compile(r"@inwoner-[0-9a-f]{8}\b")
ID_FIELDS = ("external_id", "parent_external_id")
LINK_FIELDS = ("url", "thread_url", "image_url")
MARKS = ("author_aliases", "people")


def _key(value: str) -> str:
    value = value.strip().lower()
    for prefix in ("@", "/u/", "u/"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value.rstrip(".")


def shown_pseudonym(author_key: str) -> str:
    """How rankings and the newsletter name a private author, from their stored (already keyed)
    author_id: 'inwoner #3fa2c1' (core.analytics.authors)."""
    return "inwoner #" + hashlib.sha256(author_key.encode("utf-8")).hexdigest()[:6]


def without_pseudonyms(text: str) -> str:
    """The text with every pseudonymised mention shown as "@…": for screens that show no one (the wall)."""
    return _PSEUDONYM_MENTION.sub("@…", text or "")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_-"


def _has_word(text: str, word: str) -> bool:
    r"""Whether `word` occurs in `text` between characters that are no letter, digit, "_" or "-": the
    regex (?<![\w-])word(?![\w-]), without compiling a pattern per author (ingest CPU)."""
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        if (start == 0 or not _is_word_char(text[start - 1])) and (end == len(text) or not _is_word_char(text[end])):
            return True
        start = text.find(word, start + 1)
    return False


# Names remembered per Pseudonymiser, in this process only (whether public, their pseudonym): authors
# post again and again.
_REMEMBERED = 50_000


class Pseudonymiser:
    def __init__(self, salt: str, public_roles: Iterable[str] = ()):
        if not salt:
            raise ValueError("a pseudonym key is required (NEWSROOM_PSEUDONYM_KEY)")
        self._salt = salt.encode()
        self._public = {fold(_key(r)) for r in public_roles if r.strip()}
        self._is_public = lru_cache(maxsize=_REMEMBERED)(self._looks_up)
        self._pseudonyms = lru_cache(maxsize=_REMEMBERED)(self._digest)

    def is_public(self, *names: str | None) -> bool:
        return any(name and self._is_public(name) for name in names)

    def _looks_up(self, name: str) -> bool:
        return fold(_key(name)) in self._public

    def pseudonym(self, handle: str) -> str:
        return self._pseudonyms(handle)

    def _digest(self, handle: str) -> str:
        digest = hmac.new(self._salt, _key(handle).encode(), hashlib.sha256).hexdigest()
        return f"inwoner-{digest[:8]}"

    def mentions(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            handle = match.group(0)
            return handle if self.is_public(handle) else "@" + self.pseudonym(handle)

        return _MENTION.sub(replace, text or "")

    def hashed_id(self, value: str) -> str:
        """The keyed hash stored in place of a person-revealing id: the same value, the same hash."""
        return "h:" + hmac.new(self._salt, b"id\0" + value.encode(), hashlib.sha256).hexdigest()[:32]

    def stored_id(self, value: str) -> str:
        """An id as the store keeps it, for a crawler that only has the id (which posts it knows): hashed
        when it matches the patterns above (without the item, the author's handle and marks are unknown)."""
        return self.hashed_id(value) if value and _REVEALING.search(value) else value

    def apply(self, item: dict[str, Any], channel: str) -> dict[str, Any]:
        """A copy of a crawled item with private authors, mentions and person-revealing ids and links
        pseudonymised (see the module docstring); the spider's marks are removed."""
        item = dict(item)
        marks = {mark: [str(v) for v in item.pop(mark, None) or () if v] for mark in MARKS}
        author, handle = item.get("author"), item.get("author_id")
        # Only the configured list decides who is public on forums and social media, never the platform.
        public = channel == "news" or self.is_public(author, handle)
        own = {_key(v) for v in (handle, *marks["author_aliases"]) if v}
        if author and not any(c.isspace() for c in author):
            own.add(_key(author))
        own |= {alias.split("@")[0] for alias in own if "@" in alias}  # jan@mastodon.nl is /@jan there
        self._identifiers(item, public, own, marks["people"])
        if public:
            item["author_public"] = True
        else:
            item["author_public"] = False
            if author or handle:
                pseudonym = self.pseudonym(handle or author)
                item["author"] = pseudonym
                item["author_id"] = pseudonym
        if channel != "news":
            for field in ("text", "title"):
                if item.get(field):
                    item[field] = self.mentions(item[field])
        return item

    def _identifiers(self, item: dict[str, Any], public: bool, own: set[str], people: list[str]) -> None:
        def reveals(value: str) -> set[str] | None:
            """The people `value` names (None: nobody), each as "" for the author or their identifier."""
            found: set[str] = set()
            for match in _REVEALING.finditer(value):
                who = _key(next(g for g in match.groups() if g))
                if who != "i":  # x.com/i/status/… names no one
                    found.add("" if who in own else who)
            path = value
            if "://" in value:
                parts = urlsplit(value)
                path = f"{parts.path}?{parts.query}"
            lowered = path.lower()
            if any(_has_word(lowered, alias) for alias in own):
                found.add("")
            for other in people:
                if other.lower() in value.lower():
                    found.add("" if _key(other) in own else _key(other))
            return found or None

        def may_show(value: str) -> bool:
            found = reveals(value)
            return found is None or all(public if who == "" else self.is_public(who) for who in found)

        for field in ID_FIELDS:
            if isinstance(item.get(field), str) and reveals(item[field]) is not None:
                item[field] = self.hashed_id(item[field])
        for field in LINK_FIELDS:
            if isinstance(item.get(field), str) and not may_show(item[field]):
                item[field] = None
        extra = item.get("extra")
        if isinstance(extra, dict):
            kept: dict[str, Any] = {}
            for key, value in extra.items():
                if isinstance(value, str) and key.endswith("_of"):
                    kept[key] = self.hashed_id(value) if reveals(value) is not None else value
                elif isinstance(value, str):
                    if may_show(value):
                        kept[key] = value
                elif isinstance(value, list):
                    kept[key] = [v for v in value if not isinstance(v, str) or may_show(v)]
                else:
                    kept[key] = value
            item["extra"] = kept

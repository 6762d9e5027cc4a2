"""Pseudonymisation of private individuals at ingest (AVG/GDPR data minimisation).

Authors on the public-role list (council members, journalists, organisations, the municipality's own
accounts, media) keep their names; every other author of a forum or social post is stored only as a
keyed hash (HMAC-SHA256 with the secret NEWSROOM_PSEUDONYM_SALT) and shown as a stable pseudonym such as
"inwoner-3fa9c2d1". News articles are written by journalists and media, who are public by role.
@mentions and u/ mentions inside the text get the same treatment.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Iterable

from core.matching import fold

# @name, @name@instance.social, @name.bsky.social, u/name (Reddit)
_MENTION = re.compile(r"(?<![\w@/])(@[A-Za-z0-9_.\-]+(?:@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})?|/?\bu/[A-Za-z0-9_\-]{3,20})")


def _key(value: str) -> str:
    value = value.strip().lower()
    for prefix in ("@", "/u/", "u/"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value.rstrip(".")


class Pseudonymiser:
    def __init__(self, salt: str, public_roles: Iterable[str] = ()):
        if not salt:
            raise ValueError("a pseudonym salt is required")
        self._salt = salt.encode()
        self._public = {fold(_key(r)) for r in public_roles if r.strip()}

    def is_public(self, *names: str | None) -> bool:
        return any(name and fold(_key(name)) in self._public for name in names)

    def pseudonym(self, handle: str) -> str:
        digest = hmac.new(self._salt, _key(handle).encode(), hashlib.sha256).hexdigest()
        return f"inwoner-{digest[:8]}"

    def mentions(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            handle = match.group(0)
            return handle if self.is_public(handle) else "@" + self.pseudonym(handle)

        return _MENTION.sub(replace, text or "")

    def apply(self, item: dict[str, Any], channel: str) -> dict[str, Any]:
        """A copy of a crawled item with private authors and mentions pseudonymised."""
        item = dict(item)
        author, handle = item.get("author"), item.get("author_id")
        # Only the configured list decides who is public on forums and social media, never the platform.
        public = channel == "news" or self.is_public(author, handle)
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

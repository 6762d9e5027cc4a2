"""The ingest policy every crawler applies to an item before it is stored.

One place decides what the newsroom keeps (data minimisation): posts from non-local sources only when
they mention the watch terms; private authors and @mentions pseudonymised; then stored
(core.store.posts.save_post), tagged with its themes and put in its story.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection

from core.config.settings import Settings
from core.config.watch import Theme, WatchConfig
from core.ingest.privacy import Pseudonymiser
from core.ingest.stories import assign_story
from core.ingest.themes import tag_post
from core.matching import is_relevant
from core.store.posts import canonical_url, content_hash, save_post


class Ingest:
    def __init__(self, config: WatchConfig, settings: Settings):
        self.config = config
        self.pseudonymiser = Pseudonymiser(settings.pseudonym_key, config.privacy.public_names)

    def relevant(self, source, item: dict[str, Any]) -> bool:
        """Local sources keep everything; others only posts about the city."""
        if source.local:
            return True
        text = f"{item.get('title') or ''}\n{item.get('text') or ''}"
        return is_relevant(text, self.config.watch.terms, self.config.watch.exclude)

    def store(self, conn: Connection, source, item: dict[str, Any]) -> tuple[str, int]:
        """Pseudonymise and store one relevant item; returns ('new' | 'duplicate', post id)."""
        item = self.pseudonymiser.apply(item, source.channel)
        return ingest_post(conn, source, item, themes=self.config.themes)


def ingest_post(conn: Connection, source, item: dict[str, Any], themes: Sequence[Theme] = ()) -> tuple[str, int]:
    """Store one post; a new one is tagged with the `themes` it matches and put in its story."""
    status, post_id = save_post(conn, source, item)
    if status == "new":
        tag_post(conn, post_id, themes, item.get("title"), item.get("text") or "")
        assign_story(conn, post_id, title=item.get("title"), text=item.get("text") or "",
                     content_hash=content_hash(item.get("title"), item.get("text")),
                     published_at=item["published_at"], canonical_url=canonical_url(item.get("url")))
    return status, post_id

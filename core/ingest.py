"""The ingest policy every crawler applies to an item before it is stored.

One place decides what the newsroom keeps (data minimisation): posts from non-local sources only when
they mention the watch terms; private authors and @mentions pseudonymised; themes tagged and stories
grouped by core.store.save_post.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from .config import WatchConfig
from .matching import is_relevant
from .privacy import Pseudonymiser
from .settings import Settings
from .store import save_post


class Ingest:
    def __init__(self, config: WatchConfig, settings: Settings):
        self.config = config
        self.pseudonymiser = Pseudonymiser(settings.pseudonym_salt, config.privacy.public_roles)

    def relevant(self, source, item: dict[str, Any]) -> bool:
        """Local sources keep everything; others only posts about the city."""
        if source.local:
            return True
        text = f"{item.get('title') or ''}\n{item.get('text') or ''}"
        return is_relevant(text, self.config.watch.terms, self.config.watch.exclude)

    def store(self, conn: Connection, source, item: dict[str, Any]) -> tuple[str, int]:
        """Pseudonymise and store one relevant item; returns ('new' | 'duplicate', post id)."""
        item = self.pseudonymiser.apply(item, source.channel)
        return save_post(conn, source, item, themes=self.config.themes)

"""The ingest policy every crawler applies to an item before it is stored.

One place decides what the newsroom keeps (data minimisation): posts from non-local sources only when
they mention the watch terms; private authors and @mentions pseudonymised; then stored
(core.store.posts.save_posts), tagged with its themes and put in its story.

Posts are stored a batch at a time (`ingest_posts`): a crawl, an import or the API stores hundreds of
posts in a handful of statements; `ingest_post` is a batch of one, through the same code.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection

from core.config.settings import Settings
from core.config.watch import Theme, WatchConfig
from core.ingest import themes as theme_tagging
from core.ingest.privacy import Pseudonymiser
from core.ingest.stories import NewPost, group_stories
from core.matching import is_relevant
from core.store.posts import Saved, add_post_themes, save_posts


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

    def prepare(self, source, item: dict[str, Any]) -> dict[str, Any]:
        """The item as the store will keep it: private people pseudonymised (once: not idempotent)."""
        return self.pseudonymiser.apply(item, source.channel)

    def store(self, conn: Connection, source, item: dict[str, Any]) -> tuple[str, int]:
        """Pseudonymise and store one relevant item; returns ('new' | 'duplicate', post id)."""
        return self.store_prepared(conn, [(source, self.prepare(source, item))])[0]

    def store_many(self, conn: Connection, batch: Sequence[tuple[Any, dict[str, Any]]]) -> list[tuple[str, int]]:
        """Pseudonymise and store relevant (source row, item) pairs; ('new' | 'duplicate', post id) each."""
        return self.store_prepared(conn, [(source, self.prepare(source, item)) for source, item in batch])

    def store_prepared(self, conn: Connection, batch: Sequence[tuple[Any, dict[str, Any]]]) -> list[tuple[str, int]]:
        """Store pairs whose items went through `prepare` already."""
        return ingest_posts(conn, batch, themes=self.config.themes)


def ingest_post(conn: Connection, source, item: dict[str, Any], themes: Sequence[Theme] = ()) -> tuple[str, int]:
    """Store one post; a new one is tagged with the `themes` it matches and put in its story."""
    return ingest_posts(conn, [(source, item)], themes)[0]


def ingest_posts(conn: Connection, batch: Sequence[tuple[Any, dict[str, Any]]],
                 themes: Sequence[Theme] = ()) -> list[tuple[str, int]]:
    """Store (source row, item) pairs in order, as if one after the other (a post duplicating an
    earlier one of the batch is a duplicate); the new ones are tagged with the `themes` they match and
    put in their stories. Returns ('new' | 'duplicate', post id) for each pair."""
    def place(new: list[tuple[Saved, dict[str, Any]]]) -> dict[int, int]:
        story_ids = group_stories(conn, [NewPost(s.id, item.get("title"), item.get("text") or "", s.content_hash,
                                                 item["published_at"], s.canonical_url) for s, item in new])
        return {s.id: story_id for (s, _), story_id in zip(new, story_ids)}

    saved = save_posts(conn, batch, place)
    new = [(s, item) for s, (_, item) in zip(saved, batch) if s.status == "new"]
    if themes and new:
        add_post_themes(conn, _theme_tags(themes, new))
    return [(s.status, s.id) for s in saved]


def _theme_tags(themes: Sequence[Theme], new: list[tuple[Saved, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The (post, theme) tags of new posts."""
    return [{"post_id": saved.id, "theme": name} for saved, item in new
            for name in theme_tagging.themes_for(themes, item.get("title"), item.get("text"))]

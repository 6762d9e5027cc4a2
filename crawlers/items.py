"""The item every spider yields: one post, with the fields core.store.save_post stores."""
from __future__ import annotations

import scrapy


class Post(scrapy.Item):
    """A post as a spider found it; a misspelt field name fails loudly instead of vanishing."""

    external_id = scrapy.Field()  # guid, status id, fullname: unique per source
    url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    author = scrapy.Field()
    author_id = scrapy.Field()
    author_public = scrapy.Field()
    author_reach = scrapy.Field()
    likes = scrapy.Field()
    reposts = scrapy.Field()
    replies = scrapy.Field()
    image_url = scrapy.Field()
    lang = scrapy.Field()
    parent_external_id = scrapy.Field()
    thread_url = scrapy.Field()
    published_at = scrapy.Field()  # aware datetime
    extra = scrapy.Field()  # small JSON-able dict: tags, flags such as published_guessed
    # Marks for core.ingest.privacy, never stored: the author's other identifiers (DID, account id,
    # profile URL) and other people's identifiers that occur in the ids and links above.
    author_aliases = scrapy.Field()
    people = scrapy.Field()

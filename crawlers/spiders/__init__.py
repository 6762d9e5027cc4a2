"""One spider module per source kind, named after it: crawlers/spiders/feed.py holds kind "feed"."""
from __future__ import annotations

import importlib

from .base import SourceSpider


class UnknownKind(LookupError):
    pass


def spider_class(kind: str) -> type[SourceSpider]:
    """The spider for a source kind, found in crawlers.spiders.<kind>."""
    try:
        module = importlib.import_module(f"{__name__}.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{kind}":
            raise
        raise UnknownKind(f"no spider for source kind {kind!r} (expected crawlers/spiders/{kind}.py)") from None
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, SourceSpider) and value.kind == kind:
            return value
    raise UnknownKind(f"crawlers/spiders/{kind}.py defines no SourceSpider with kind = {kind!r}")

"""Analytics: read-only query functions over the store (window, summary, timeline, themes, stories,
authors, emerging words and alerts, metrics) and the wall's state built from them.

May import: `core.store`, `core.ingest`, `core.config` and the root modules of `core`.
"""

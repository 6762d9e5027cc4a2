"""Ingest: what happens to an item between a crawler and the store. The policy (relevance, then
pseudonymisation of private people), theme tagging and story grouping.

May import: `core.store`, `core.config` and the root modules of `core`; never `core.analytics`.
"""

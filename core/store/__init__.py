"""The store: engines and migrations, the schema, and the plain functions that read and write our tables
(sources and runs, posts, scores and corrections, alerts, audit log, retention, search, meta, newsletters).

May import: `core.config` and the root modules of `core`; never `core.ingest` or `core.analytics`.
"""

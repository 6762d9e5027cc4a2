"""The core room: everything the other rooms share, in four sub-rooms and two root modules.

- `config/`: typed settings from the environment, the watch configuration and its file.
- `store/`: the database, schema and migrations, and every write and record lookup on our tables.
- `ingest/`: the ingest policy (relevance, pseudonymisation), theme tagging and story grouping.
- `analytics/`: read-only figures over the store (summary, timeline, themes, stories, authors,
  emerging words, metrics, the wall's state).
- `vocabulary.py` (labels, channels and their Dutch names), `post.py` (the one post shape),
  `matching.py` (Dutch-aware term matching) and `mail.py` (SMTP).

May import: nothing of ours outside `core`. Inside it, arrows point down only:
analytics → ingest → store → config, and every sub-room may use the root modules.
"""

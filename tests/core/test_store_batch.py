"""core.store.batch: rows inserted and values looked up a batch at a time come back exactly as written,
on SQLite and PostgreSQL, whichever way PostgreSQL gets them (one array literal for plain integers and
strings, the driver's arrays and JSON rows for strings that need escaping)."""
from __future__ import annotations

from sqlalchemy import insert, select

from core.store.batch import any_of, insert_rows
from core.store.schema import stories, story_keys, utcnow

PLAIN = ["c:0123abcd", "NULL", "null", "", "é ü", "{accolade,komma}", "[x]"]
QUOTED = ['met "quote"', "back\\slash", '\\"']
CONTROL = ["tab\there", "regel\nnieuw", "\\n is geen regel"]


def test_values_are_stored_and_found_as_written(engine):
    with engine.begin() as conn:
        now = utcnow()
        story = conn.execute(insert(stories).values(title="t", posts=1, first_seen=now, last_seen=now)
                             .returning(stories.c.id)).scalar_one()
        for keys in (PLAIN, QUOTED, CONTROL):
            insert_rows(conn, story_keys, [{"key": key, "story_id": story} for key in keys],
                        conflict=("key",), update=("story_id",))
        stored = set(conn.execute(select(story_keys.c.key)).scalars())
        assert stored == set(PLAIN + QUOTED + CONTROL)
        for keys in (PLAIN, QUOTED, CONTROL, PLAIN + QUOTED + CONTROL, ["tab\\there", "regel", "nieuw", "[x", "x"]):
            found = conn.execute(select(story_keys.c.key).where(any_of(conn, story_keys.c.key, keys))).scalars()
            assert sorted(found) == sorted(set(keys) & stored)
        found = conn.execute(select(story_keys.c.key).where(any_of(conn, story_keys.c.story_id, [story, story + 1])))
        assert len(found.all()) == len(stored)

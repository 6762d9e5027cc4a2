"""Set-based statements for batches of rows: one statement for many rows, whatever their number.

PostgreSQL gets all the rows as one JSON parameter, turned into rows of the table's own type by
json_populate_recordset (INSERT ... SELECT, UPDATE ... FROM), and a list of values as one array
parameter (= ANY(...), which uses the column's index like an IN list): a multi-row VALUES list or an
IN list of thousands of parameters costs the driver more to prepare than the database to run,
executemany sends one statement per row, and array parameters for every column are dumped element by
element in Python, where json.dumps is one call in C. SQLite gets executemany and plain IN lists (chunked under
its limit on parameters), which its driver runs in C. Used by the ingest path (core.store.posts,
core.store.stories), where a batch is hundreds of posts.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Connection, Table, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

# Values per IN list on SQLite: well under its limit of 32,766 parameters in one statement.
SQLITE_CHUNK = 5000


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def any_of(conn: Connection, column: Column, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY` of one array parameter (chunk the values for SQLite)."""
    if is_postgres(conn):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def chunks(conn: Connection, values: Sequence[Any], size: int = SQLITE_CHUNK) -> Iterable[Sequence[Any]]:
    """The values in one piece on PostgreSQL (arrays have no limit), in pieces of `size` on SQLite."""
    if is_postgres(conn):
        if values:
            yield values
        return
    for start in range(0, len(values), size):
        yield values[start:start + size]


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], *, conflict: Sequence[str] = (),
                update: Sequence[str] = (), returning: Sequence[str] = ()) -> list[Any]:
    """INSERT `rows` (dicts with the same keys); on a conflict on the `conflict` columns either nothing
    (no `update`) or the `update` columns set from the new row. Returns the `returning` columns of the
    rows inserted (or updated), in no promised order: correlate them by a key of the row."""
    if not rows:
        return []
    if not is_postgres(conn):
        from sqlalchemy.dialects.sqlite import insert

        statement: Any = insert(table)
        if conflict:
            statement = (statement.on_conflict_do_update(index_elements=list(conflict),
                                                         set_={c: statement.excluded[c] for c in update})
                         if update else statement.on_conflict_do_nothing(index_elements=list(conflict)))
        if returning:
            return list(conn.execute(statement.returning(*(table.c[c] for c in returning)), rows))
        conn.execute(statement, rows)
        return []
    names = list(rows[0])
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(names)} "
           f"FROM json_populate_recordset(NULL::{table.name}, :rows)")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO "
        sql += ("UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)) if update else "NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
        return list(conn.execute(text(sql), {"rows": _json(conn, table, rows)}))
    conn.execute(text(sql), {"rows": _json(conn, table, rows)})
    return []


def update_rows(conn: Connection, table: Table, key: str, rows: list[dict[str, Any]], *,
                add: Sequence[str] = ()) -> None:
    """UPDATE the rows of `table` whose `key` column is each row's `key`, setting its other columns;
    the `add` columns are added to (posts = posts + n), not set."""
    if not rows:
        return
    names = list(rows[0])
    others = [n for n in names if n != key]
    if not is_postgres(conn):
        from sqlalchemy import update

        values = {n: (table.c[n] + bindparam(f"_{n}")) if n in add else bindparam(f"_{n}") for n in others}
        conn.execute(update(table).where(table.c[key] == bindparam(f"_{key}")).values(values),
                     [{f"_{n}": v for n, v in row.items()} for row in rows])
        return
    sets = ", ".join(f"{n} = {table.name}.{n} + v.{n}" if n in add else f"{n} = v.{n}" for n in others)
    conn.execute(text(f"UPDATE {table.name} SET {sets} FROM json_populate_recordset(NULL::{table.name}, :rows) AS v "
                      f"WHERE {table.name}.{key} = v.{key}"), {"rows": _json(conn, table, rows)})


def _json(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON array, each value as the column's type binds it (aware times as naive UTC,
    written as ISO text PostgreSQL reads back as the same timestamp)."""
    processors = []
    for name in rows[0]:
        column_type = table.c[name].type
        process = None if isinstance(column_type, JSON) else column_type.bind_processor(conn.dialect)
        if process is not None:
            processors.append((name, process))
    if processors:
        rows = [{**row, **{name: process(row[name]) for name, process in processors if row[name] is not None}}
                for row in rows]
    return json.dumps(rows, default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

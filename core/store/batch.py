"""Set-based statements for batches of rows: one statement for many rows, whatever their number.

PostgreSQL gets all the rows as one JSON parameter, turned into rows of the table's own type by
json_populate_recordset (INSERT ... SELECT, UPDATE ... FROM), and a list of values as one array
parameter (= ANY(...), which uses the column's index like an IN list): a multi-row VALUES list or an
IN list of thousands of parameters costs the driver more to prepare than the database to run,
executemany sends one statement per row, and array parameters for every column are dumped element by
element in Python, where json.dumps is one call in C. Integers and strings that need no escaping (story
fingerprints, hashes, theme tags) go as array literals json.dumps writes too: lists of them, and narrow
rows of them as one array per column, turned into rows by unnest(). SQLite gets executemany and plain IN
lists (chunked under its limit on parameters), which its driver runs in C. Used by the ingest path
(core.store.posts, core.store.stories), where a batch is hundreds of posts.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

# Values per IN list on SQLite: well under its limit of 32,766 parameters in one statement.
SQLITE_CHUNK = 5000


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def any_of(conn: Connection, column: Column, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY` of one array parameter (chunk the values for SQLite)."""
    if not is_postgres(conn):
        return column.in_(list(values))
    values = list(values)
    literal = _array_literal(column.type, values)
    if literal is not None:
        return column == any_(cast(bindparam(None, literal, type_=NullType()), ARRAY(column.type)))
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


# Column types whose values _array_literal writes, and the Python type those values must have.
_PLAIN = {String: str, Text: str, Integer: int, BigInteger: int}


def _array_literal(column_type: Any, values: list[Any]) -> str | None:
    """PostgreSQL's array literal of the values of a plain integer or string column, when none needs
    escaping (fingerprints, hashes, most ids and URLs), else None. It is their JSON array with braces:
    one call in C, where the driver dumps an array's elements one by one in Python; and it is still one
    array parameter, so the planner sees (and hashes) its values."""
    kind = _PLAIN.get(type(column_type))
    if kind is None or not all(type(v) is kind or v is None for v in values):
        return None
    listed = json.dumps(values, ensure_ascii=False, separators=(",", ":"))  # null is NULL in both
    return None if "\\" in listed else "{" + listed[1:-1] + "}"


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
    columns = _column_arrays(conn, table, rows)
    if columns is None:
        sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(names)} "
               f"FROM json_populate_recordset(NULL::{table.name}, :rows)")
        values = {"rows": _json(conn, table, rows)}
    else:  # narrow rows of integers and plain strings (fingerprints, theme tags): one array per column
        sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest("
               + ", ".join(f"CAST(:{name} AS {array})" for name, (array, _) in columns.items()) + ")")
        values = {name: literal for name, (_, literal) in columns.items()}
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO "
        sql += ("UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)) if update else "NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
        return list(conn.execute(text(sql), values))
    conn.execute(text(sql), values)
    return []


def _column_arrays(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> dict[str, tuple[str, str]] | None:
    """{column: (its array type, its values' array literal)} when every column is a plain integer or
    string column whose values need no escaping; else None. The array types have no length (VARCHAR[],
    not VARCHAR(80)[]), so a value too long for its column is refused by the INSERT, not cut by the cast."""
    columns = {}
    for name in rows[0]:
        column_type = table.c[name].type
        literal = _array_literal(column_type, [row[name] for row in rows])
        if literal is None:
            return None
        columns[name] = (ARRAY(type(column_type)()).compile(dialect=conn.dialect), literal)
    return columns


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

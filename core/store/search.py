"""Full-text search over post titles and texts: SQLite FTS5, or PostgreSQL text search in Dutch.

The structures are made by migration 0003:
- SQLite: `posts_fts`, an FTS5 external-content table over posts(title, text) with the
  `unicode61 remove_diacritics 2` tokenizer, kept in step with posts by three triggers. (A later
  migration that lets Alembic recreate `posts` on SQLite must create the triggers again.)
- PostgreSQL: `posts.search_vector`, a stored generated tsvector (title weight A, text weight B) in
  the `dutch` configuration over the text with diacritics folded, with a GIN index.

Both take the same query syntax (the "websearch" syntax of PostgreSQL): every word must occur,
"quoted phrases" occur as written, `-word` excludes, `OR` between two terms accepts either. Case and
diacritics never matter ("financiele" finds "financiële"). SQLite matches word prefixes
("afval" finds "afvalcontainer"); PostgreSQL stems Dutch words ("containers" finds "container").

`matches(q)` is an SQL expression on `posts` that compiles to the right SQL per database, so
PostFilter.conditions() stays independent of the database; `relevance(q, dialect)` gives the score to
sort by.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import (
    Boolean,
    Connection,
    Double,
    Float,
    String,
    bindparam,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.sql.visitors import InternalTraversal

from core.store.schema import posts

# PostgreSQL's Dutch stemmer folds acute accents and umlauts itself, not grave accents or cedillas
# (crème, façade): translate() folds them all, on both the stored text and the query.
ACCENTED = "àáâãäåèéêëìíîïòóôõöùúûüýÿçñÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÇÑ"
PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnAAAAAAEEEEIIIIOOOOOUUUUYCN"
TS_CONFIG = "dutch"
# Title words weigh twice as much as text words in SQLite's bm25 (PostgreSQL: weights A and B).
BM25 = "bm25(posts_fts, 2.0, 1.0)"

# The SQLite triggers of migration 0003, for suspend_sqlite_index().
SQLITE_TRIGGERS = (
    """CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
)

_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORDS = re.compile(r"[^\W_]+")

_fts = table("posts_fts", column("rowid"))


def fts5_query(q: str) -> tuple[str, str]:
    """The user's query as an FTS5 expression: (mode, expression).

    mode "match": posts matching the expression; "exclude": posts NOT matching it (the query had
    only -terms); "none": the query has no searchable word, nothing matches. Every term becomes a
    quoted FTS5 string of plain words, so no input can be an FTS5 syntax error.
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    pending_or = False
    for match in _TERM.finditer(q or ""):
        negated, phrase, word = match.group(1) == "-", match.group(2), match.group(3)
        if word == "OR":
            pending_or = bool(groups)
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negated, word = True, word[1:]
        words = _WORDS.findall(phrase if phrase is not None else word)
        if not words:
            continue
        term = '"' + " ".join(words) + '"' + ("" if phrase is not None else "*")
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if groups:
        expression = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
        if excluded:
            expression = f"({expression}) NOT ({' OR '.join(excluded)})"
        return "match", expression
    if excluded:
        return "exclude", " OR ".join(excluded)
    return "none", ""


def _folded(value) -> ColumnElement:
    return func.translate(value, literal(ACCENTED), literal(PLAIN))


def _tsquery(element) -> ColumnElement:
    return func.websearch_to_tsquery(literal_column(f"'{TS_CONFIG}'::regconfig"), _folded(element.raw))


class _Search(ColumnElement):
    """Carries both forms of the query as bound parameters; each database renders the one it uses."""

    inherit_cache = True
    _traverse_internals = [
        ("raw", InternalTraversal.dp_clauseelement),
        ("fts", InternalTraversal.dp_clauseelement),
        ("mode", InternalTraversal.dp_string),
    ]

    def __init__(self, q: str):
        self.mode, expression = fts5_query(q)
        self.raw = bindparam("search_q", q, type_=String, unique=True)
        self.fts = bindparam("search_fts", expression, type_=String, unique=True)


class Matches(_Search):
    """True for posts whose title or text match the query."""

    inherit_cache = True
    type = Boolean()


class Rank(_Search):
    """PostgreSQL: how well a post matches the query; higher is better (0 for posts that don't match)."""

    inherit_cache = True
    type = Float()


def matches(q: str) -> ColumnElement[bool]:
    return Matches(q)


def relevance(q: str, dialect: str) -> tuple[Subquery | None, ColumnElement[float]]:
    """How well each post matches `q`, higher is better: (a subquery to join on its post_id column,
    or None; the score expression).

    SQLite scores every match once in a subquery (bm25 only works in a query on the FTS table, and
    a correlated subquery per post would cost quadratic time); PostgreSQL ranks the row's tsvector.
    """
    if dialect == "postgresql":
        return None, Rank(q)
    mode, expression = fts5_query(q)
    if mode != "match":
        return None, literal(0.0)
    # bm25 is lower for better matches; negated so every database sorts descending.
    hits = (
        select(_fts.c.rowid.label("post_id"), (-literal_column(BM25)).label("score"))
        .where(literal_column("posts_fts").op("MATCH")(bindparam("search_fts", expression, type_=String, unique=True)))
        .subquery("search_hits")
    )
    return hits, hits.c.score


def _fts_ids(element):
    return select(_fts.c.rowid).where(literal_column("posts_fts").op("MATCH")(element.fts))


@compiles(Matches, "sqlite")
def _matches_sqlite(element, compiler, **kw):
    if element.mode == "none":
        expression = false()
    elif element.mode == "exclude":
        expression = posts.c.id.not_in(_fts_ids(element))
    else:
        expression = posts.c.id.in_(_fts_ids(element))
    return compiler.process(expression, **kw)


@compiles(Matches, "postgresql")
def _matches_postgresql(element, compiler, **kw):
    return compiler.process(literal_column("posts.search_vector").op("@@")(_tsquery(element)), **kw)


@compiles(Rank, "postgresql")
def _rank_postgresql(element, compiler, **kw):
    # ts_rank is a float4; as double precision its value survives the trip through a JSON cursor exactly.
    score = func.ts_rank(literal_column("posts.search_vector"), _tsquery(element))
    return compiler.process(cast(score, Double()), **kw)


@compiles(Matches)
@compiles(Rank)
def _unsupported(element, compiler, **kw):
    raise NotImplementedError(f"full-text search needs SQLite or PostgreSQL, not {compiler.dialect.name}")


@contextmanager
def suspend_sqlite_index(conn: Connection) -> Iterator[None]:
    """For bulk loads on SQLite (imports, benchmarks, large test stores): the index triggers are
    dropped for the duration and the index is rebuilt once afterwards, which is several times faster
    than indexing row by row. Call it inside a transaction; a no-op on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        yield
        return
    for name in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield
    finally:
        for statement in SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")

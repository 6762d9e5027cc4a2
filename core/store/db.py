"""Engines and migrations: SQLite by default (WAL, busy timeout, foreign keys), PostgreSQL by URL."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg (v3) for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq and psycopg take it (no SQLAlchemy driver name; the query kept)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}://…")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_schema(url: str, schema: str) -> str:
    """Empty (drop and create) the PostgreSQL schema `schema` at `url`; returns the URL of a store in
    it (its connections' search_path), for the demo's and benchmarks' throwaway stores."""
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"not a plain schema name: {schema!r}")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the wall and API read while a crawl process writes; busy_timeout makes writers queue.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        parsed = make_url(url)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _alembic_config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the store to the newest schema; safe to call at every start and from many processes."""
    from alembic import command

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two processes starting at once must not both create tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
            _task_engine_schema(connection)
        command.upgrade(_alembic_config(connection), "head")


def _task_engine_schema(connection: Connection) -> None:
    """The task engine's own tables (procrastinate, for `newsroom worker`), through its own schema
    file, under the migration lock: created once, beside ours, in the store's schema."""
    from procrastinate.schema import SchemaManager

    exists = connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
    if not exists:
        # The raw driver: the schema holds '%' signs that must not be taken for parameters.
        connection.connection.driver_connection.execute(SchemaManager.get_schema())


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ping(connection: Connection) -> None:
    """A round trip to the database: raises when it cannot be reached (the liveness check)."""
    connection.exec_driver_sql("SELECT 1")

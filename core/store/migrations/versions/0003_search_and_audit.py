"""full-text search on posts; indexes for threads and the audit log

Revision ID: 0003
Revises: 0002

SQLite: an FTS5 external-content table over posts(title, text) kept in step by triggers.
PostgreSQL: a stored generated tsvector column in the Dutch configuration with a GIN index.
See core/search.py for how they are queried. The SQL is written out here (not imported) so this
revision stays what it was when later code changes.
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ACCENTED = "àáâãäåèéêëìíîïòóôõöùúûüýÿçñÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÇÑ"
PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnAAAAAAEEEEIIIIOOOOOUUUUYCN"

SQLITE_UP = [
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    )""",
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
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TABLE IF EXISTS posts_fts",
]


def _folded(column: str) -> str:
    return f"translate(coalesce({column}, ''), '{ACCENTED}', '{PLAIN}')"


POSTGRES_UP = [
    f"""ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('dutch'::regconfig, {_folded('title')}), 'A') ||
        setweight(to_tsvector('dutch'::regconfig, {_folded('text')}), 'B')
    ) STORED""",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, []):
        op.execute(statement)
    # Plain CREATE INDEX on both databases: a batch operation could make Alembic recreate posts on
    # SQLite, which would drop the search triggers.
    op.create_index("ix_posts_thread", "posts", ["source_id", "parent_external_id"], unique=False)
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_posts_thread", table_name="posts")
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)

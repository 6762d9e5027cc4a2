"""scale out: crawl runs record the host that ran them and a heartbeat; change notifications

A run is taken over (marked failed) when its heartbeat stops, from any host: the process id alone
means nothing on another machine. On PostgreSQL, writes to posts, scores, alerts and meta NOTIFY the
channel newsroom_changes (core.store.notify), so every web process's wall follows the workers.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

# Fixed here, not imported: a migration must keep creating what it created when it was written.
CHANNEL = "newsroom_changes"
TABLES = ("posts", "scores", "alerts", "meta")

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    op.create_index("ix_crawl_runs_status", "crawl_runs", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION newsroom_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION newsroom_notify_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS newsroom_notify_change()")
    op.drop_index("ix_crawl_runs_status", table_name="crawl_runs")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("host")

"""privacy: when a stored newsletter's quotes expire

A newsletter quotes posts; it is kept no longer than the first of them (core.store.retention).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("newsletters") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("newsletters") as batch:
        batch.drop_column("expires_at")

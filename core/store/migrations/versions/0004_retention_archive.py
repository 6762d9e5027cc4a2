"""retention: anonymous hourly counts of deleted posts

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archived_counts",
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_archived_counts_source_id_sources"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hour", "source_id", "channel", "label", name=op.f("pk_archived_counts")),
    )


def downgrade() -> None:
    op.drop_table("archived_counts")

"""analytics: meta state, story keys

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "story_keys",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_story_keys_story_id_stories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_story_keys")),
    )
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.create_index("ix_story_keys_story", ["story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_story_keys_story")
    op.drop_table("story_keys")
    op.drop_table("meta")

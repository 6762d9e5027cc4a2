"""workspace: named accounts and their sessions, saved searches, handled posts, newsletter edits;
scores keep the model's own label beside the effective (corrected) one

`scores.label` is the label every output shows: the model's, or a person's correction once there is
one; `scores.model_label` is what the model said, kept for the audit and for training.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("model_label", sa.String(length=10), nullable=True))
    op.execute("UPDATE scores SET model_label = label")
    # Corrections made before this revision now count: the latest one per post wins.
    op.execute(
        "UPDATE scores SET label = (SELECT c.label FROM label_corrections c WHERE c.post_id = scores.post_id "
        "ORDER BY c.id DESC LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM label_corrections c WHERE c.post_id = scores.post_id)"
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "sessions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_sessions_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sessions")),
    )
    op.create_index("ix_sessions_account", "sessions", ["account_id"])
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_saved_searches_account_id_accounts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_saved_searches_account_id_name")),
    )
    op.create_table(
        "post_handling",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_post_handling_post_id_posts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_handling")),
    )
    op.create_table(
        "newsletter_edits",
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("pinned", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_newsletter_edits")),
    )


def downgrade() -> None:
    op.drop_table("newsletter_edits")
    op.drop_table("post_handling")
    op.drop_table("saved_searches")
    op.drop_index("ix_sessions_account", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("accounts")
    op.execute(
        "UPDATE scores SET label = model_label WHERE model_label IS NOT NULL"
    )
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("model_label")

"""honest numbers: posts remember whether their language was detected

`posts.lang` starts as the platform's tag (a hint); the scorer detects every post's language itself
and sets `lang_checked`. Posts scored before this revision were detected by the scorer; the others
(a platform's tag only, or another language) are detected again, so a Dutch post a platform tagged
`en` gets its score. Retention's anonymous counts keep such posts apart too (label "other_language").

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would rebuild `posts` on SQLite (its default is an expression) and
    # drop the full-text search triggers of migration 0003 with it.
    op.add_column("posts", sa.Column("lang_checked", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE posts SET lang_checked = true WHERE id IN (SELECT post_id FROM scores)")
    with op.batch_alter_table("archived_counts") as batch:
        batch.alter_column("label", type_=sa.String(length=20), existing_type=sa.String(length=10), existing_nullable=False)


def downgrade() -> None:
    op.execute("UPDATE archived_counts SET label = 'unscored' WHERE label = 'other_language'")
    with op.batch_alter_table("archived_counts") as batch:
        batch.alter_column("label", type_=sa.String(length=10), existing_type=sa.String(length=20), existing_nullable=False)
    op.drop_column("posts", "lang_checked")

"""single sign-on sessions keep their ID token (the hint for the provider's logout); sign-ons under way
remember their client's address, so each client may have only so many; scores are indexed by the model
version that made them, so those of an older model are found and counted without a pass over all scores
(core.store.scores.stale_posts, count_stale)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("id_token", sa.Text(), nullable=True))
    with op.batch_alter_table("sso_logins") as batch:
        batch.add_column(sa.Column("client_net", sa.String(length=100), nullable=True))
        batch.create_index("ix_sso_logins_client_net", ["client_net"])
    op.create_index("ix_scores_model_version", "scores", ["model_version", "model", "post_id"])


def downgrade() -> None:
    op.drop_index("ix_scores_model_version", table_name="scores")
    with op.batch_alter_table("sso_logins") as batch:
        batch.drop_index("ix_sso_logins_client_net")
        batch.drop_column("client_net")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("id_token")

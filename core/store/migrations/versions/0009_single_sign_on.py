"""single sign-on: an account remembers its OpenID subject; sign-ons under way are kept server-side

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.create_index("ix_accounts_oidc_subject", ["oidc_subject"], unique=True)
    op.create_table(
        "sso_logins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=200), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_sso_logins")),
    )


def downgrade() -> None:
    op.drop_table("sso_logins")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_oidc_subject")
        batch.drop_column("oidc_subject")

"""sign-in links: one-time invitations and password resets

Revision ID: 0011_invitations
Revises: 0010_outbox_webhooks
Create Date: 2026-11-30 19:20:00

Outside the demo nobody could sign in: people existed only as seeded rows. An
invitation (from the CLI or the Members page) or a password reset is a one-time
link whose token is stored only as its SHA-256, like sessions and API tokens.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_invitations"
down_revision: str | None = "0010_outbox_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sign_in_links_token_hash", "sign_in_links", ["token_hash"], unique=True
    )
    op.create_index("ix_sign_in_links_email", "sign_in_links", ["email"])
    op.create_index("ix_sign_in_links_organization_id", "sign_in_links", ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_links_organization_id", table_name="sign_in_links")
    op.drop_index("ix_sign_in_links_email", table_name="sign_in_links")
    op.drop_index("ix_sign_in_links_token_hash", table_name="sign_in_links")
    op.drop_table("sign_in_links")

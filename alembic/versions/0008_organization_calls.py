"""organization calls: the per-organization rate limit on app-started tests and syncs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:10:00

Connection tests and Sync now pressed in the app were not rate-limited at all
(only the API's tokens were). Each such call is now a row per organization,
deleted once it leaves the window, so every backend worker spends from one budget.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organization_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_organization_calls_budget",
        "organization_calls",
        ["organization_id", "action", "at"],
    )


def downgrade() -> None:
    op.drop_index("ix_organization_calls_budget", table_name="organization_calls")
    op.drop_table("organization_calls")

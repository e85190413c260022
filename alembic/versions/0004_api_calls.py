"""api calls: the per-token rate limit's window, shared by every backend worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:05:00

The limit on connection tests and syncs per API token was kept in each
process's memory, so with several backend workers a token got workers x limit.
Each limited call is now a row, deleted once it leaves the window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_calls_budget", "api_calls", ["token_id", "action", "at"])


def downgrade() -> None:
    op.drop_index("ix_api_calls_budget", table_name="api_calls")
    op.drop_table("api_calls")

"""sign-in throttles: failed sign-ins per typed email and per client address

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:10:00

Wrong passwords cost nothing, so anonymous clients could keep the argon2
check busy and push every request's latency up. Each email (known or not) and
each client address now has a row counting failures, with a growing delay and
then a lockout; throttled attempts never reach the password check. The rows
live in the database so every backend worker shares them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_audited_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_sign_in_throttles_last_attempt_at", "sign_in_throttles", ["last_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttles_last_attempt_at", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")

"""user sessions: last_seen_at, so a session idle for too long is refused

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:00:00

Browser sessions had only an absolute lifetime. The idle timeout needs the time
of the last event seen with the session; rows that predate this column fall
back to their created_at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("last_seen_at")

"""waiting and unconfirmed claims: partial indexes in place of the index on status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:20:00

A sync run takes the oldest waiting claims of an organization a batch at a time.
The index on ``status`` served that poorly (no order, every organization's
claims) and was rewritten twice per claim per run (approved -> sending ->
exported). The partial index holds only waiting claims, in the order a run takes
them, and a claim leaves it once. A second, tiny partial index finds the claims
sent without a recorded answer, which every run checks first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING_CLAIM = "status = 'approved' AND last_error IS NULL"  # as in models.WAITING_CLAIM
UNCONFIRMED_CLAIM = "status = 'sending'"  # as in models.UNCONFIRMED_CLAIM


def upgrade() -> None:
    op.drop_index("ix_expense_claims_status", table_name="expense_claims")
    op.create_index(
        "ix_expense_claims_waiting",
        "expense_claims",
        ["organization_id", "claim_date", "id"],
        sqlite_where=sa.text(WAITING_CLAIM),
        postgresql_where=sa.text(WAITING_CLAIM),
    )
    op.create_index(
        "ix_expense_claims_unconfirmed",
        "expense_claims",
        ["organization_id"],
        sqlite_where=sa.text(UNCONFIRMED_CLAIM),
        postgresql_where=sa.text(UNCONFIRMED_CLAIM),
    )


def downgrade() -> None:
    op.drop_index("ix_expense_claims_unconfirmed", table_name="expense_claims")
    op.drop_index("ix_expense_claims_waiting", table_name="expense_claims")
    op.create_index("ix_expense_claims_status", "expense_claims", ["status"])

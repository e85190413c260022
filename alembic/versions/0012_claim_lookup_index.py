"""claims: the unique (organization, external id) index made last on PostgreSQL

Revision ID: 0012_claim_lookup_index
Revises: 0011_invitations
Create Date: 2026-11-30 23:40:00

When two indexes cost the same, PostgreSQL's planner keeps the one it considered first,
and it considers a table's indexes newest first. With statistics taken while
``expense_claims`` was nearly empty (a new deployment, then its first busy day) the
intake's id lookup costs the same through ``ix_expense_claims_changed`` (organization,
updated_at; made after the unique index in 0009) as through the unique index, so it read
every API claim of the organization and compared each with the batch's ids: each 500-claim
POST got slower as the table grew (bench/intake.py; 90 ms at 12,000 claims against 1 ms).
Making the unique index again, last, turns the tie its way; the lookup's test
(tests/service/test_claim_intake_service.py) fails if a later index takes it back. A
newcomer adding an index on ``expense_claims`` that leads with ``organization_id`` must
run that test on PostgreSQL. SQLite picks the unique index by its own rules (more
equality columns), so nothing changes there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_claim_lookup_index"
down_revision: str | None = "0011_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_API_CLAIM = sa.text("external_id IS NOT NULL")


def _make_unique_index_again() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ux_expense_claims_external_id", table_name="expense_claims")
    op.create_index(
        "ux_expense_claims_external_id",
        "expense_claims",
        ["organization_id", "external_id"],
        unique=True,
        postgresql_where=_API_CLAIM,
    )


def upgrade() -> None:
    _make_unique_index_again()


def downgrade() -> None:
    """Nothing to undo: the index is the same, only its age differs."""

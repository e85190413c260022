"""claims intake: the caller's claim id, body digest, change time, idempotent requests

Revision ID: 0009_claims_intake
Revises: 0008
Create Date: 2026-11-30 19:10:00

Claims now also arrive through POST /api/v1/claims from the organization's own app.
Each keeps the app's id (unique per organization) and a digest of the body it was
posted with, so a repeat is answered from what is stored; ``updated_at`` moves on
every status change, for GET /claims?changed_since. ``idempotent_requests`` keeps
answers given under an ``Idempotency-Key``. An integration may ask for a sync as soon
as claims arrive (``send_at_once``; the scheduler runs it, ``sync_requested_at``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_claims_intake"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate_partial_claim_indexes() -> None:
    """On SQLite the batch operations above rebuild the table and create its indexes again
    in an order that changes from process to process. Where two indexes cost the same,
    SQLite's planner takes the one created last, so the sync's unconfirmed-claims query
    sometimes read the plain organization index (an organization's whole history) instead
    of ``ix_expense_claims_unconfirmed``. Made again here, the partial indexes come after
    the plain one, as migration 0003 left them
    (tests/sync/test_claim_reservation.py checks the plans)."""
    waiting = sa.text("status = 'approved' AND last_error IS NULL")
    unconfirmed = sa.text("status = 'sending'")
    op.drop_index("ix_expense_claims_waiting", table_name="expense_claims")
    op.drop_index("ix_expense_claims_unconfirmed", table_name="expense_claims")
    op.create_index(
        "ix_expense_claims_waiting",
        "expense_claims",
        ["organization_id", "claim_date", "id"],
        sqlite_where=waiting,
    )
    op.create_index(
        "ix_expense_claims_unconfirmed",
        "expense_claims",
        ["organization_id"],
        sqlite_where=unconfirmed,
    )


def upgrade() -> None:
    with op.batch_alter_table("expense_claims") as batch:
        batch.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch.add_column(
            sa.Column("body_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE expense_claims SET updated_at = COALESCE(exported_at, created_at)")
    with op.batch_alter_table("expense_claims") as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    if op.get_bind().dialect.name == "sqlite":
        _recreate_partial_claim_indexes()
    # Partial, like the model's: plain ones misled SQLite's planner for the sync's queries.
    api_claim = sa.text("external_id IS NOT NULL")
    op.create_index(
        "ux_expense_claims_external_id",
        "expense_claims",
        ["organization_id", "external_id"],
        unique=True,
        sqlite_where=api_claim,
        postgresql_where=api_claim,
    )
    op.create_index(
        "ix_expense_claims_changed",
        "expense_claims",
        ["organization_id", "updated_at"],
        sqlite_where=api_claim,
        postgresql_where=api_claim,
    )
    with op.batch_alter_table("integrations") as batch:
        batch.add_column(
            sa.Column("send_at_once", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        batch.add_column(sa.Column("sync_requested_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("request_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "key"),
    )
    op.create_index(
        "ix_idempotent_requests_expires_at", "idempotent_requests", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotent_requests_expires_at", table_name="idempotent_requests")
    op.drop_table("idempotent_requests")
    with op.batch_alter_table("integrations") as batch:
        batch.drop_column("sync_requested_at")
        batch.drop_column("send_at_once")
    op.drop_index("ix_expense_claims_changed", table_name="expense_claims")
    op.drop_index("ux_expense_claims_external_id", table_name="expense_claims")
    with op.batch_alter_table("expense_claims") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("body_digest")
        batch.drop_column("external_id")

"""posting settings: versioned account mapping per integration; claims carry what mapping needs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:30:00

Claims gain a category, an optional VAT amount, cost centre, project and employee number;
their account becomes optional: empty means the category's mapping decides it. Existing
claims keep their account and get the category "other". Columns are only added (no table
rebuild on SQLite, which would have to recreate the partial indexes of migration 0003).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "posting_settings_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("integration_id", "version"),
    )
    op.create_index(
        "ix_posting_settings_versions_integration_id",
        "posting_settings_versions",
        ["integration_id"],
    )
    op.add_column("integrations", sa.Column("posting_settings_id", sa.Integer(), nullable=True))
    text = sqlmodel.sql.sqltypes.AutoString
    op.add_column(
        "expense_claims",
        sa.Column("category", text(length=40), nullable=False, server_default="other"),
    )
    op.add_column("expense_claims", sa.Column("vat_amount", sa.Numeric(12, 2), nullable=True))
    for column in ("cost_centre", "project", "employee_number"):
        op.add_column("expense_claims", sa.Column(column, text(length=40), nullable=True))


def downgrade() -> None:
    for column in ("employee_number", "project", "cost_centre", "vat_amount", "category"):
        op.drop_column("expense_claims", column)
    op.drop_column("integrations", "posting_settings_id")
    op.drop_index(
        "ix_posting_settings_versions_integration_id", table_name="posting_settings_versions"
    )
    op.drop_table("posting_settings_versions")

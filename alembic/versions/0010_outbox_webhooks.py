"""outbox, webhook endpoints, delivery attempts and integration incidents

Revision ID: 0010_outbox_webhooks
Revises: 0009_claims_intake
Create Date: 2026-11-30 19:20:00

Every event that leaves the system (signed webhooks, alert emails) is first an
``outbox_messages`` row committed with the change that caused it (DESIGN rule 12);
one leased deliverer sends it and logs each try in ``outbox_attempts``.
``integration_incidents`` makes one alert per incident, not one per failed run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_outbox_webhooks"
down_revision: str | None = "0009_claims_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("url", _STR(length=2000), nullable=False),
        sa.Column("description", _STR(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret_key_id", _STR(length=64), nullable=False),
        sa.Column("secret_wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("secret_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", _STR(length=60), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", _TS, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("removed_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_endpoints_organization_id", "webhook_endpoints", ["organization_id"]
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=20), nullable=False),
        sa.Column("event_type", _STR(length=60), nullable=False),
        sa.Column("event_id", _STR(length=64), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("recipient", _STR(length=320), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _STR(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", _STR(length=500), nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_messages_organization_id", "outbox_messages", ["organization_id"])
    op.create_index("ix_outbox_messages_event_id", "outbox_messages", ["event_id"])
    op.create_index("ix_outbox_messages_endpoint_id", "outbox_messages", ["endpoint_id"])
    op.create_index(
        "ix_outbox_messages_due",
        "outbox_messages",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", _STR(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_attempts_message_id", "outbox_attempts", ["message_id"])
    op.create_table(
        "integration_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("cause", _STR(length=40), nullable=False),
        sa.Column("reason", _STR(length=1000), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_integration_incidents_organization_id", "integration_incidents", ["organization_id"]
    )
    op.create_index(
        "ix_integration_incidents_integration_id", "integration_incidents", ["integration_id"]
    )


def downgrade() -> None:
    op.drop_table("integration_incidents")
    op.drop_table("outbox_attempts")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("webhook_endpoints")

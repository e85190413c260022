"""SQLModel tables, declared once each, and the public views built from them.

Public views (``...View``) are separate classes with no secret fields at all,
so a secret cannot reach a page or an API response by someone forgetting to
strip it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, overload

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Numeric,
    Table,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
@overload
def as_utc(moment: datetime | None) -> datetime | None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class IntegrationStatus(StrEnum):
    NOT_CONFIGURED = "not_configured"
    ACTIVE = "active"
    ERROR = "error"
    DISABLED = "disabled"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True, index=True)
    locale: str = Field(default="en", max_length=10, sa_column_kwargs={"server_default": "en"})
    """The language a member sees when neither their choice nor their browser decides."""
    time_zone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    """An IANA zone: dates and times on its pages; the scheduler itself stays in UTC."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=400)
    locale: str | None = Field(default=None, max_length=10)
    """The language this person chose in the header; None until they choose."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=20)


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the token's hash is stored."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_seen_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """Last event seen with this session (kept to the minute): the idle timeout runs from it."""


class Integration(SQLModel, table=True):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("organization_id", "type_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    type_key: str = Field(max_length=40)
    display_name: str = Field(max_length=120)
    environment: str = Field(max_length=20)
    auth_flow: str = Field(max_length=40)
    settings: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    status_detail: str | None = Field(default=None, max_length=1000)
    active_credential_version_id: int | None = Field(default=None)
    posting_settings_id: int | None = Field(default=None)
    """The posting settings version in force; None until the Posting step is done."""
    last_test_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_test_ok: bool | None = None
    last_test_message: str | None = Field(default=None, max_length=1000)
    last_sync_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    total_records_synced: int = 0
    sync_interval_minutes: int = 15
    consecutive_sync_failures: int = 0
    send_at_once: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    """Claims posted through the API ask the scheduler for a sync at once instead of waiting
    for the next scheduled run (set through the API: PUT .../send-at-once)."""
    sync_requested_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """A sync asked for by the claims intake; the scheduler leader runs it and clears this."""
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_by_id: int = Field(foreign_key="users.id")
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CredentialVersion(SQLModel, table=True):
    """One encrypted set of secrets for an integration; never updated, only superseded."""

    __tablename__ = "credential_versions"
    __table_args__ = (UniqueConstraint("integration_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integrations.id", index=True)
    version: int
    key_id: str = Field(max_length=64)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    mask_hint: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PostingSettingsVersion(SQLModel, table=True):
    """One set of posting settings (accounts, tax codes, dimensions, voucher numbering) for
    an integration; never updated, only superseded, like credential versions. Not secret."""

    __tablename__ = "posting_settings_versions"
    __table_args__ = (UniqueConstraint("integration_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integrations.id", index=True)
    version: int
    values: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class AuditEvent(SQLModel, table=True):
    """Who did what and when; ``details`` never holds a secret value."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=60)
    integration_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )


class ClaimStatus(StrEnum):
    APPROVED = "approved"
    SENDING = "sending"
    """Sent in a batch whose confirmation has not arrived: checked with the target first."""
    EXPORTED = "exported"
    WITHDRAWN = "withdrawn"
    """Withdrawn by the organization's app before it was sent: never sent, kept for the record."""


WAITING_CLAIM = f"status = '{ClaimStatus.APPROVED.value}' AND last_error IS NULL"
"""Approved and never refused: a claim no run has taken yet. Queries that should use the
partial index below say it in these words, as literals: PostgreSQL cannot match a partial
index to a condition on a bound parameter once it switches to a generic plan."""


API_CLAIM = "external_id IS NOT NULL"
"""Posted by the organization's app (POST /api/v1/claims): the claims the API indexes."""

UNCONFIRMED_CLAIM = f"status = '{ClaimStatus.SENDING.value}'"
"""Handed to a target, its answer not recorded yet: the next run asks the target first."""


class ExpenseClaim(SQLModel, table=True):
    """An approved expense claim waiting for, or already in, the accounting system."""

    __tablename__ = "expense_claims"
    __table_args__ = (
        # The claims a run sends next, oldest first. Partial, so a claim leaves it once
        # when a run takes it and costs nothing after: an index on status would be
        # rewritten twice per claim per run (see bench/sync_throughput.py).
        Index(
            "ix_expense_claims_waiting",
            "organization_id",
            "claim_date",
            "id",
            sqlite_where=text(WAITING_CLAIM),
            postgresql_where=text(WAITING_CLAIM),
        ),
        # Claims sent without a recorded answer, which every run looks for first. They are
        # few at any time (at most a batch or two in flight), so this index stays tiny.
        Index(
            "ix_expense_claims_unconfirmed",
            "organization_id",
            sqlite_where=text(UNCONFIRMED_CLAIM),
            postgresql_where=text(UNCONFIRMED_CLAIM),
        ),
        # The caller's own claim id is unique per organization: what makes POST /claims
        # idempotent. Both API indexes are partial (claims that came through the API): as
        # plain indexes leading with organization_id, SQLite's planner took them for the
        # sync's unconfirmed-claims query and read the organization's whole history.
        Index(
            "ux_expense_claims_external_id",
            "organization_id",
            "external_id",
            unique=True,
            sqlite_where=text(API_CLAIM),
            postgresql_where=text(API_CLAIM),
        ),
        # GET /claims?changed_since=...
        Index(
            "ix_expense_claims_changed",
            "organization_id",
            "updated_at",
            sqlite_where=text(API_CLAIM),
            postgresql_where=text(API_CLAIM),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    claimant: str = Field(max_length=200)
    claim_date: date
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    currency: str = Field(max_length=3)
    description: str = Field(max_length=500)
    category: str = Field(default="other", max_length=40)
    """One of ``accounting.posting_settings.CATEGORIES``: decides the expense account."""
    vat_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    """Deductible input VAT included in ``amount``, when the receipt shows it."""
    cost_centre: str | None = Field(default=None, max_length=40)
    project: str | None = Field(default=None, max_length=40)
    employee_number: str | None = Field(default=None, max_length=40)
    account_code: str = Field(default="", max_length=40)
    """An expense account the organization's app chose itself, overriding the category's;
    empty (the usual case) lets the posting settings decide."""
    status: str = Field(default=ClaimStatus.APPROVED.value, max_length=20)
    idempotency_key: str = Field(max_length=64, unique=True)
    """Stable for the claim's life and sent to the target, so a retry is never a duplicate."""
    external_reference: str | None = Field(default=None, max_length=120)
    exported_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    exported_integration_id: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=1000)
    """Why the target refused this claim (a permanent failure), until someone fixes it."""
    external_id: str | None = Field(default=None, max_length=120)
    """The claim's id in the organization's own app (POST /api/v1/claims); None for others."""
    body_digest: str | None = Field(default=None, max_length=64)
    """No longer written: a repeat is compared with the stored claim field by field
    (``claim_intake_service._differences``). Claims stored before carry their digest."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, default=utcnow),
    )
    """When the claim last changed status (or was created): GET /claims?changed_since."""


class SyncRunOutcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class SyncRun(SQLModel, table=True):
    """One attempt to push an organization's unexported claims through one integration."""

    __tablename__ = "sync_runs"

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integrations.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    trigger: str = Field(max_length=20)
    """'schedule', 'manual' (Sync now) or 'api'."""
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    credential_version: int | None = None
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    outcome: str = Field(default=SyncRunOutcome.RUNNING.value, max_length=20)
    records_sent: int = 0
    records_failed: int = 0
    error_summary: str | None = Field(default=None, max_length=2000)


class ApiToken(SQLModel, table=True):
    """An organization API token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    """The first characters, shown so an admin can tell tokens apart."""
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ApiCall(SQLModel, table=True):
    """One rate-limited API call (a connection test, a sync) by a token, kept only as long
    as the rate limit's window: the budget is shared by every backend worker this way."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_budget", "token_id", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_tokens.id")
    action: str = Field(max_length=40)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OrganizationCall(SQLModel, table=True):
    """One connection test or Sync now started from the app for an organization, kept only
    as long as the per-organization rate limit's window (``services/work.py``)."""

    __tablename__ = "organization_calls"
    __table_args__ = (Index("ix_organization_calls_budget", "organization_id", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id")
    action: str = Field(max_length=40)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IdempotentRequest(SQLModel, table=True):
    """A POST answered under an ``Idempotency-Key``: replaying the key replays the answer.

    Kept per organization, with a digest of the request body so the same key with another
    body is refused; rows expire after ``IDEMPOTENCY_HOURS`` (deleted by later requests).
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id")
    key: str = Field(max_length=200)
    request_digest: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class SchedulerLease(SQLModel, table=True):
    """Who runs the scheduler: one row per lease, held by renewing it before it expires."""

    __tablename__ = "scheduler_leases"

    name: str = Field(primary_key=True, max_length=60)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins of one typed email or one client address, shared by every worker.

    ``key`` is an HMAC of the email or address, not the text itself: people type
    passwords into the email field, and unknown emails are not ours to keep.
    """

    __tablename__ = "sign_in_throttles"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    """Attempts that ran the password check and were not (yet) known to succeed."""
    last_attempt_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    blocked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    refusal_audited_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """The block whose refused attempts are already in the audit trail (one entry per block)."""


class SignInLinkKind(StrEnum):
    INVITATION = "invitation"
    """Joins a new person to an organization: they choose their name and password."""
    PASSWORD_RESET = "password_reset"
    """Lets an existing person choose a new password; their other sessions end."""


class SignInLink(SQLModel, table=True):
    """A one-time link (an invitation or a password reset). Only the token's hash is stored."""

    __tablename__ = "sign_in_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=20)
    email: str = Field(max_length=320, index=True)
    organization_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    """The organization an invitation joins; None for a password reset."""
    role: str | None = Field(default=None, max_length=20)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    """The person a reset is for; None for an invitation (they have no account yet)."""
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    """The admin who made it; None when the operator made it from the CLI or the person
    asked for a reset themselves."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class WebhookEndpoint(SQLModel, table=True):
    """Where an organization wants its events POSTed, signed with its own secret.

    The signing secret is sealed by the vault (bound to the organization and this endpoint)
    and shown to the admin once, when the endpoint is added."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret_key_id: str = Field(max_length=64)
    secret_wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    secret_nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    secret_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=60)
    """A code: ``failing`` (disabled by the deliverer) or None."""
    consecutive_failures: int = 0
    failing_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    removed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """Removed endpoints stay (their delivery log refers to them) but receive nothing."""


class OutboxKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Gave up: the retry schedule ran out, or the endpoint was disabled or removed."""


DUE_MESSAGE = f"status = '{OutboxStatus.PENDING.value}'"


class OutboxMessage(SQLModel, table=True):
    """One event for one destination (a webhook endpoint or an admin's address), written in
    the transaction of the change that caused it and delivered at least once afterwards."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What the deliverer looks for: pending messages by due time. Partial, so delivered
        # messages leave it.
        Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            sqlite_where=text(DUE_MESSAGE),
            postgresql_where=text(DUE_MESSAGE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    kind: str = Field(max_length=20)
    event_type: str = Field(max_length=60)
    event_id: str = Field(max_length=64, index=True)
    """The ``webhook-id``: one per event, the same on every attempt and redelivery."""
    endpoint_id: int | None = Field(default=None, foreign_key="webhook_endpoints.id", index=True)
    recipient: str | None = Field(default=None, max_length=320)
    """An email message's address."""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OutboxAttempt(SQLModel, table=True):
    """One try at delivering a message: the delivery log."""

    __tablename__ = "outbox_attempts"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_messages.id", index=True)
    attempt: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0


class IntegrationIncident(SQLModel, table=True):
    """An integration that stopped working: opened once (one alert), closed on recovery."""

    __tablename__ = "integration_incidents"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    integration_id: int = Field(foreign_key="integrations.id", index=True)
    cause: str = Field(max_length=40)
    """``integration.error`` or ``credentials.rejected``."""
    reason: str = Field(default="", max_length=1000)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, typed: SQLModel does not declare ``__table__``,
    so reading it directly needs a ``type: ignore`` at every use."""
    table = model.__dict__["__table__"]
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table

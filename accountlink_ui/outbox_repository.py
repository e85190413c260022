"""Queries of the outbox, webhook endpoints and incidents (next to ``repository.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlmodel import Session, col, select

from accountlink_ui.models import (
    DUE_MESSAGE,
    IntegrationIncident,
    Membership,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    WebhookEndpoint,
)


def subscribed_endpoints(session: Session, organization_id: int, event_type: str) -> list[int]:
    """Ids of the organization's enabled endpoints that asked for ``event_type``."""
    rows = session.exec(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.organization_id == organization_id,
            col(WebhookEndpoint.enabled).is_(True),
            col(WebhookEndpoint.removed_at).is_(None),
        )
    ).all()
    return [
        endpoint_id
        for endpoint_id, events in rows
        if endpoint_id is not None and event_type in (events or [])
    ]


def admin_emails(session: Session, organization_id: int) -> list[str]:
    return list(
        session.exec(
            select(User.email)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.organization_id == organization_id, Membership.role == Role.ADMIN)
            .order_by(col(User.email))
        ).all()
    )


def add_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OutboxMessage), list(rows))


def due_messages(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Pending messages whose time has come, oldest due first (the partial index's words)."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(text(DUE_MESSAGE), col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        ).all()
    )


def add_attempt(session: Session, attempt: OutboxAttempt) -> None:
    session.add(attempt)


def fail_pending_of_endpoint(session: Session, endpoint_id: int, reason: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.endpoint_id) == endpoint_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.FAILED.value, last_error=reason)
    )


def endpoints_of(session: Session, organization_id: int) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.organization_id == organization_id,
                col(WebhookEndpoint.removed_at).is_(None),
            )
            .order_by(col(WebhookEndpoint.id))
        ).all()
    )


def deliveries_of(
    session: Session, endpoint_id: int, limit: int
) -> list[tuple[OutboxMessage, list[OutboxAttempt]]]:
    messages = list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.endpoint_id == endpoint_id)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        ).all()
    )
    ids = [message.id for message in messages]
    attempts: dict[int, list[OutboxAttempt]] = {i: [] for i in ids if i is not None}
    if ids:
        for attempt in session.exec(
            select(OutboxAttempt)
            .where(col(OutboxAttempt.message_id).in_(ids))
            .order_by(col(OutboxAttempt.attempt))
        ).all():
            attempts[attempt.message_id].append(attempt)
    return [(message, attempts.get(message.id or 0, [])) for message in messages]


def open_incident(session: Session, integration_id: int) -> IntegrationIncident | None:
    return session.exec(
        select(IntegrationIncident).where(
            IntegrationIncident.integration_id == integration_id,
            col(IntegrationIncident.closed_at).is_(None),
        )
    ).first()


_OPEN_INCIDENTS_OF = (
    select(IntegrationIncident)
    .where(
        col(IntegrationIncident.organization_id) == bindparam("organization_id"),
        col(IntegrationIncident.closed_at).is_(None),
    )
    .order_by(col(IntegrationIncident.opened_at))
)
"""Built once: every dashboard load reads it (see integrations_repository)."""


def open_incidents_of(session: Session, organization_id: int) -> list[IntegrationIncident]:
    return list(session.exec(_OPEN_INCIDENTS_OF, params={"organization_id": organization_id}).all())


def all_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Every organization's webhook endpoints (their signing secrets are re-wrapped on rotation)."""
    return list(session.exec(select(WebhookEndpoint)).all())

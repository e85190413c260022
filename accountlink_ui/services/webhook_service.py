"""Webhook endpoints: added, listed, removed, tested and their deliveries read, by admins.

Tenancy is enforced here (DESIGN rule 7): every call takes the acting person and the
organization, and an endpoint of another organization looks exactly like one that
does not exist. The URL passes the same validation and SSRF rules as a Generic REST
base URL (``integrations.validation.url_error``, then the guarded client's address
check on every delivery). The signing secret (``whsec_`` + base64 of 32 random bytes)
is sealed by the vault and returned once, by ``add``.
"""

from __future__ import annotations

import base64
import builtins
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui import outbox_repository as repo
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.validation import url_error
from accountlink_ui.models import (
    OutboxAttempt,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
    as_utc,
    utcnow,
)
from accountlink_ui.services.access import require_admin
from accountlink_ui.services.errors import InvalidConfig, NotFound, ServiceError
from accountlink_ui.services.outbox import (
    EVENT_TYPES,
    TEST_EVENT,
    enqueue_event,
    secret_binding,
)
from accountlink_ui.settings import Settings
from accountlink_ui.vault import Vault
from accountlink_ui.views import Actor

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200
MAX_ENDPOINTS = 20
NOT_FOUND = Message.of("webhook.not_found")
DELIVERY_NOT_FOUND = Message.of("webhook.delivery_not_found")


@dataclass(frozen=True)
class WebhookEndpointView:
    """An endpoint as pages and the API show it: never its secret."""

    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class NewWebhookEndpoint:
    """What ``add`` returns: the endpoint and its signing secret, shown this once."""

    endpoint: WebhookEndpointView
    secret: str


@dataclass(frozen=True)
class DeliveryAttemptView:
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    history: list[DeliveryAttemptView]


class TooManyEndpoints(ServiceError):
    """The organization has ``MAX_ENDPOINTS`` already (the API answers 409)."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookService:
    def __init__(
        self,
        *,
        engine: Engine,
        vault: Vault,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._settings = settings
        self._clock = clock

    # ---- endpoints -----------------------------------------------------------------------

    def add(
        self,
        actor: Actor,
        organization_id: int,
        url: str,
        events: Sequence[str],
        description: str = "",
        *,
        secret: str | None = None,
    ) -> NewWebhookEndpoint:
        """Add an endpoint; bad input raises InvalidConfig naming each field and adds nothing.

        ``secret``: only the demo seed passes one (the sandbox receiver's); everyone else
        gets a fresh random one."""
        url = url.strip() if isinstance(url, str) else ""
        description = description.strip() if isinstance(description, str) else ""
        errors = self._errors(url, events, description)
        # Held from sealing to commit, like a credential save: no key rotation retires the
        # key in between (``services/key_rotation``).
        with self._vault.sealing(), session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="webhooks_add")
            if errors:
                raise InvalidConfig(errors)
            if len(repo.endpoints_of(session, organization_id)) >= MAX_ENDPOINTS:
                raise TooManyEndpoints(Message.of("webhook.too_many", maximum=MAX_ENDPOINTS))
            secret = secret or new_secret()
            endpoint = WebhookEndpoint(
                organization_id=organization_id,
                url=url,
                description=description,
                events=[event for event in EVENT_TYPES if event in set(events)],
                secret_key_id="",
                secret_wrapped_key=b"",
                secret_nonce=b"",
                secret_ciphertext=b"",
                created_by_id=actor.user_id,
                created_at=self._clock(),
            )
            session.add(endpoint)
            session.flush()
            assert endpoint.id is not None
            sealed = self._vault.seal(
                {"secret": secret}, secret_binding(organization_id, endpoint.id)
            )
            endpoint.secret_key_id = sealed.key_id
            endpoint.secret_wrapped_key = sealed.wrapped_key
            endpoint.secret_nonce = sealed.nonce
            endpoint.secret_ciphertext = sealed.ciphertext
            session.add(endpoint)
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=actor.user_id,
                action="webhook.endpoint_added",
                details={"endpoint_id": endpoint.id, "url": url, "events": endpoint.events},
            )
            return NewWebhookEndpoint(_view(endpoint), secret)

    def list(self, actor: Actor, organization_id: int) -> list[WebhookEndpointView]:
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="webhooks_see")
            return [_view(endpoint) for endpoint in repo.endpoints_of(session, organization_id)]

    def get(self, actor: Actor, organization_id: int, endpoint_id: int) -> WebhookEndpointView:
        with session_scope(self._engine) as session:
            return _view(self._endpoint(session, actor, organization_id, endpoint_id))

    def remove(self, actor: Actor, organization_id: int, endpoint_id: int) -> None:
        """Stop sending to it; its pending deliveries are given up, its log is kept."""
        with session_scope(self._engine) as session:
            endpoint = self._endpoint(session, actor, organization_id, endpoint_id)
            endpoint.removed_at = self._clock()
            endpoint.enabled = False
            session.add(endpoint)
            session.flush()
            repo.fail_pending_of_endpoint(session, endpoint_id, "endpoint_removed_or_disabled")
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=actor.user_id,
                action="webhook.endpoint_removed",
                details={"endpoint_id": endpoint_id, "url": endpoint.url},
            )

    def send_test(self, actor: Actor, organization_id: int, endpoint_id: int) -> str:
        """Queue a ``webhook.test`` event to this endpoint alone; its webhook-id."""
        with session_scope(self._engine) as session:
            endpoint = self._endpoint(session, actor, organization_id, endpoint_id)
            if not endpoint.enabled:
                raise InvalidConfig({"endpoint": Message.of("webhook.endpoint_disabled")})
            event_id = enqueue_event(
                session,
                organization_id,
                TEST_EVENT,
                # Goes to the receiving program, not a person: English, as the payloads are.
                {"message": english(Message.of("webhook.test_event")), "endpoint_id": endpoint_id},
                at=self._clock(),
                endpoint_id=endpoint_id,
            )
            assert event_id is not None
            return event_id

    # ---- deliveries ----------------------------------------------------------------------

    def deliveries(
        self, actor: Actor, organization_id: int, endpoint_id: int, *, limit: int = 50
    ) -> builtins.list[DeliveryView]:
        with session_scope(self._engine) as session:
            self._endpoint(session, actor, organization_id, endpoint_id, removed_ok=True)
            return [
                _delivery_view(message, attempts)
                for message, attempts in repo.deliveries_of(session, endpoint_id, min(limit, 200))
            ]

    def redeliver(
        self, actor: Actor, organization_id: int, endpoint_id: int, delivery_id: int
    ) -> DeliveryView:
        """Try a delivery again now, with the same webhook-id (receivers drop repeats)."""
        with session_scope(self._engine) as session:
            endpoint = self._endpoint(session, actor, organization_id, endpoint_id)
            message = session.get(OutboxMessage, delivery_id)
            if (
                message is None
                or message.endpoint_id != endpoint_id
                or message.kind != OutboxKind.WEBHOOK
            ):
                raise NotFound(DELIVERY_NOT_FOUND)
            if not endpoint.enabled:
                raise InvalidConfig({"endpoint": Message.of("webhook.endpoint_disabled")})
            message.status = OutboxStatus.PENDING.value
            message.next_attempt_at = self._clock()
            session.add(message)
            session.info["outbox_wake"] = True
            session.flush()
            return _delivery_view(message, [])

    # ---- helpers -------------------------------------------------------------------------

    def _endpoint(
        self,
        session: Session,
        actor: Actor,
        organization_id: int,
        endpoint_id: int,
        *,
        removed_ok: bool = False,
    ) -> WebhookEndpoint:
        require_admin(session, actor, organization_id, to="webhooks_manage")
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if (
            endpoint is None
            or endpoint.organization_id != organization_id
            or (endpoint.removed_at is not None and not removed_ok)
        ):
            raise NotFound(NOT_FOUND)
        return endpoint

    def _errors(self, url: str, events: Sequence[str], description: str) -> dict[str, Message]:
        errors: dict[str, Message] = {}
        the_url = Message.of("webhook.the_url")
        if not url:
            errors["url"] = Message.of("webhook.url_missing")
        elif len(url) > URL_MAX_LENGTH:
            errors["url"] = Message.of("webhook.url_too_long", maximum=URL_MAX_LENGTH)
        elif problem := url_error(url, label=the_url, allowed_hosts=self._settings.allowed_hosts):
            errors["url"] = problem
        if isinstance(events, str) or not all(isinstance(event, str) for event in events):
            errors["events"] = Message.of("webhook.events_not_list")
        else:
            unknown = sorted(set(events) - set(EVENT_TYPES))
            if unknown:
                errors["events"] = Message.of(
                    "webhook.unknown_events",
                    unknown=", ".join(u[:40] for u in unknown[:5]),
                    known=", ".join(EVENT_TYPES),
                )
            elif not events:
                errors["events"] = Message.of("webhook.no_events")
        if len(description) > DESCRIPTION_MAX_LENGTH:
            errors["description"] = Message.of(
                "webhook.description_too_long", maximum=DESCRIPTION_MAX_LENGTH
            )
        return errors


def _view(endpoint: WebhookEndpoint) -> WebhookEndpointView:
    assert endpoint.id is not None
    created = as_utc(endpoint.created_at)
    assert created is not None
    return WebhookEndpointView(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        events=list(endpoint.events),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_at=created,
    )


def _delivery_view(message: OutboxMessage, attempts: Sequence[OutboxAttempt]) -> DeliveryView:
    assert message.id is not None
    created = as_utc(message.created_at)
    assert created is not None
    history = [
        DeliveryAttemptView(
            attempt=a.attempt,
            at=as_utc(a.at) or a.at,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
        )
        for a in attempts
    ]
    return DeliveryView(
        id=message.id,
        event_id=message.event_id,
        event_type=message.event_type,
        status=message.status,
        attempts=message.attempts,
        created_at=created,
        next_attempt_at=as_utc(message.next_attempt_at)
        if message.status == OutboxStatus.PENDING
        else None,
        last_status_code=message.last_status_code,
        last_error=message.last_error,
        history=history,
    )

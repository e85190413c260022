"""The outbox: every event that leaves the system is written first (DESIGN rule 12).

``enqueue_event`` and ``enqueue_email`` add rows to ``outbox_messages`` in the
caller's session and never commit: the event is stored exactly when the change
that caused it is (a claim marked exported, an integration gone to error). A
crash after that commit loses nothing; the deliverer finds the row.

``OutboxDeliverer`` is the one process that delivers. It holds the lease
``outbox-deliverer`` (``scheduler_lease.Lease``, the scheduler's upsert), looks
for due messages every ``outbox_poll_seconds`` and at once when a commit in its
own process enqueued something (``wake_after_commit``), sends them (webhooks
through the guarded HTTP client with the SSRF guard, emails over SMTP), logs each
try in ``outbox_attempts`` and schedules the next one from
``Settings.outbox_retry_seconds``; after the last it gives up. Delivery is at least
once: a deliverer killed after the receiver answered but before it recorded the
answer sends again, with the same ``webhook-id``, so receivers can drop repeats.

An endpoint whose every delivery has failed for ``webhook_disable_after_hours``
and at least ``webhook_disable_after_failures`` times in a row is disabled, its
pending messages given up, and its organization's admins emailed (through the
outbox too).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session
from standardwebhooks import Webhook

from accountlink_ui import outbox_repository as repo
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import DEFAULT_LOCALE, LOCALES
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import OutboundClient, OutboundError
from accountlink_ui.integrations_repository import organization, user_by_email
from accountlink_ui.models import (
    OutboxAttempt,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
    as_utc,
    utcnow,
)
from accountlink_ui.services.mailer import Mailer, MailError, SmtpNotConfigured
from accountlink_ui.services.scheduler_lease import Lease, new_holder_id
from accountlink_ui.settings import Settings
from accountlink_ui.vault import Vault
from accountlink_ui.vault.envelope import SealedSecret, SecretBinding

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "claim.exported",
    "claim.refused",
    "integration.error",
    "integration.recovered",
    "credentials.rejected",
)
"""What an endpoint can subscribe to."""
TEST_EVENT = "webhook.test"
"""Sent only to the endpoint whose admin pressed "Send test event"."""
LEASE_NAME = "outbox-deliverer"
MAX_RESPONSE_BYTES = 64 * 1024
ERROR_LENGTH = 500
DISABLED_FAILING = "failing"
ENDPOINT_GONE = "endpoint_removed_or_disabled"

# ---- enqueueing (in the caller's transaction) ----------------------------------------------


def new_event_id() -> str:
    """A ``webhook-id``: one per event, kept on every attempt and redelivery."""
    return f"msg_{uuid.uuid4().hex}"


def _wake_on_commit(session: Session) -> None:
    session.info["outbox_wake"] = True


def enqueue_event(
    session: Session,
    organization_id: int,
    event_type: str,
    data: Mapping[str, Any],
    *,
    at: datetime | None = None,
    endpoint_id: int | None = None,
) -> str | None:
    """Queue one event for every enabled endpoint of the organization subscribed to it (or
    for ``endpoint_id`` alone, the test event); its event id, or None if nobody listens."""
    if endpoint_id is not None:
        endpoints = [endpoint_id]
    else:
        endpoints = repo.subscribed_endpoints(session, organization_id, event_type)
    if not endpoints:
        return None
    return enqueue_events(session, organization_id, event_type, [data], at=at, endpoints=endpoints)[
        0
    ]


def enqueue_events(
    session: Session,
    organization_id: int,
    event_type: str,
    items: Sequence[Mapping[str, Any]],
    *,
    at: datetime | None = None,
    endpoints: Sequence[int] | None = None,
) -> list[str]:
    """Many events of one type at once (a batch of exported claims): one query for the
    subscribers, one multi-row insert. Returns the event ids, in ``items``' order."""
    if not items:
        return []
    if endpoints is None:
        endpoints = repo.subscribed_endpoints(session, organization_id, event_type)
    if not endpoints:
        return []
    now = at or utcnow()
    stamp = now.isoformat().replace("+00:00", "Z")
    rows: list[dict[str, Any]] = []
    ids: list[str] = []
    for data in items:
        event_id = new_event_id()
        ids.append(event_id)
        payload = {"type": event_type, "timestamp": stamp, "data": dict(data)}
        for endpoint_id in endpoints:
            rows.append(
                _row(
                    organization_id,
                    OutboxKind.WEBHOOK,
                    event_type,
                    event_id,
                    now,
                    payload,
                    endpoint_id=endpoint_id,
                )
            )
    repo.add_messages(session, rows)
    _wake_on_commit(session)
    return ids


def enqueue_email(
    session: Session,
    organization_id: int,
    template: str,
    params: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> int:
    """Queue one email per admin of the organization; how many were queued.

    ``template`` and ``params`` are a message code and its parameters (DESIGN rule 11):
    ``emails.render`` words them when the email is sent."""
    now = at or utcnow()
    event_id = new_event_id()
    payload = {"template": template, "params": dict(params)}
    rows = [
        _row(organization_id, OutboxKind.EMAIL, template, event_id, now, payload, recipient=email)
        for email in repo.admin_emails(session, organization_id)
    ]
    repo.add_messages(session, rows)
    if rows:
        _wake_on_commit(session)
    return len(rows)


def _row(
    organization_id: int,
    kind: OutboxKind,
    event_type: str,
    event_id: str,
    now: datetime,
    payload: dict[str, Any],
    *,
    endpoint_id: int | None = None,
    recipient: str | None = None,
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "kind": kind.value,
        "event_type": event_type,
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "recipient": recipient,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# ---- waking the deliverer after a commit ---------------------------------------------------

_wakers: list[Callable[[], None]] = []
_wakers_lock = threading.Lock()


def add_waker(waker: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.append(waker)


def remove_waker(waker: Callable[[], None]) -> None:
    with _wakers_lock:
        if waker in _wakers:
            _wakers.remove(waker)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop("outbox_wake", False):
        with _wakers_lock:
            wakers = list(_wakers)
        for waker in wakers:
            waker()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop("outbox_wake", None)


# ---- signing -------------------------------------------------------------------------------


def secret_binding(organization_id: int, endpoint_id: int) -> SecretBinding:
    """Integration 0 never exists, so an endpoint's sealed secret cannot pass for an
    integration's credentials (or the other way round)."""
    return SecretBinding(organization_id=organization_id, integration_id=0, version=endpoint_id)


def sealed_of(endpoint: WebhookEndpoint) -> SealedSecret:
    return SealedSecret(
        key_id=endpoint.secret_key_id,
        wrapped_key=endpoint.secret_wrapped_key,
        nonce=endpoint.secret_nonce,
        ciphertext=endpoint.secret_ciphertext,
    )


def signed_headers(secret: str, event_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` sent at ``at``."""
    timestamp = datetime.fromtimestamp(int(at.timestamp()), tz=at.tzinfo)
    signature = Webhook(secret).sign(event_id, timestamp, body.decode())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def body_of(message: OutboxMessage) -> bytes:
    return json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()


# ---- delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    message_id: int
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    skipped: bool = False
    """Not sent at all (the endpoint is gone, SMTP not configured): given up at once."""


class OutboxDeliverer:
    """Delivers due outbox messages while holding the outbox lease; see the module doc."""

    def __init__(
        self,
        *,
        engine: Engine,
        vault: Vault,
        settings: Settings,
        http: OutboundClient | None = None,
        mailer: Mailer | None = None,
        clock: Callable[[], datetime] = utcnow,
        holder: str | None = None,
        workers: int = 8,
        batch: int = 100,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._settings = settings
        self._http = http or OutboundClient(settings)
        self._mailer = mailer or Mailer.from_settings(settings)
        self._clock = clock
        self.holder = holder or new_holder_id()
        self._lease = Lease(
            engine,
            name=LEASE_NAME,
            holder=self.holder,
            seconds=settings.outbox_lease_seconds,
            clock=clock,
        )
        self._lease_seconds = settings.outbox_lease_seconds
        self._trusted_until = 0.0
        self._renewed_at = 0.0
        self._next_try = 0.0
        self._workers = workers
        self._batch = batch
        self._wake = threading.Event()
        self._exit = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # -- lifecycle --

    def start(self) -> None:
        if self._thread is not None:
            return
        self._exit.clear()
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="outbox-send")
        add_waker(self.wake)
        self._thread = threading.Thread(target=self._run, name="outbox-deliverer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        remove_waker(self.wake)
        self._exit.set()
        self._wake.set()
        thread.join()
        self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            self._lease.release()
        except Exception:
            log.warning("outbox: could not release the lease; it expires on its own")

    def wake(self) -> None:
        """Look for due messages now (called after a commit that enqueued)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._exit.is_set():
            try:
                while self.holds_lease() and self.deliver_due() and not self._exit.is_set():
                    pass
            except Exception:
                log.exception("outbox: delivery round failed; retrying")
            self._wake.wait(self._settings.outbox_poll_seconds)
            self._wake.clear()

    def holds_lease(self) -> bool:
        """Renew the lease when a third of it has passed; False while another process holds it.

        A follower asks again only every third of a lease (not at every poll), so idle
        followers do not write to the lease row twice a second; it takes over at most that
        long after the holder's lease expired."""
        now = time.monotonic()
        if now - self._renewed_at < self._lease_seconds / 3 and now < self._trusted_until:
            return True
        if self._trusted_until == 0.0 and now < self._next_try:
            return False
        self._next_try = now + self._lease_seconds / 3
        try:
            held = self._lease.acquire()
        except Exception:
            log.warning("outbox: could not reach the lease row", exc_info=True)
            held = False
        if held:
            self._renewed_at = now
            self._trusted_until = now + self._lease_seconds * 5 / 6
        else:
            self._trusted_until = 0.0
        return held

    # -- one round --

    def deliver_due(self) -> int:
        """Send what is due now and record the outcomes; how many messages were tried."""
        now = self._clock()
        with session_scope(self._engine) as session:
            messages = repo.due_messages(session, now, self._batch)
            endpoints = {
                m.endpoint_id: session.get(WebhookEndpoint, m.endpoint_id)
                for m in messages
                if m.endpoint_id is not None
            }
            for message in messages:
                session.expunge(message)
            for endpoint in endpoints.values():
                if endpoint is not None:
                    session.expunge(endpoint)
        if not messages:
            return 0
        jobs = [
            (m, endpoints.get(m.endpoint_id) if m.endpoint_id is not None else None)
            for m in messages
        ]
        if self._pool is not None and len(jobs) > 1:
            results = list(self._pool.map(lambda job: self._send(*job), jobs))
        else:
            results = [self._send(*job) for job in jobs]
        with session_scope(self._engine) as session:
            for result in results:
                self._record(session, result)
        return len(messages)

    def _send(self, message: OutboxMessage, endpoint: WebhookEndpoint | None) -> _Result:
        assert message.id is not None
        started = time.monotonic()
        try:
            if message.kind == OutboxKind.EMAIL:
                return self._send_email(message, started)
            if endpoint is None or not endpoint.enabled or endpoint.removed_at is not None:
                return _Result(message.id, False, None, ENDPOINT_GONE, 0, skipped=True)
            return self._send_webhook(message, endpoint, started)
        except Exception as exc:  # a bug must not stop the deliverer
            log.exception("outbox: message %s failed unexpectedly", message.id)
            return _Result(message.id, False, None, type(exc).__name__, _ms(started))

    def _send_webhook(
        self, message: OutboxMessage, endpoint: WebhookEndpoint, started: float
    ) -> _Result:
        assert message.id is not None and endpoint.id is not None
        secret = self._vault.open(
            sealed_of(endpoint), secret_binding(endpoint.organization_id, endpoint.id)
        )["secret"]
        body = body_of(message)
        headers = signed_headers(secret, message.event_id, self._clock(), body)
        try:
            reply = self._http.request(
                "POST",
                endpoint.url,
                deadline=Deadline(self._settings.outbox_request_seconds),
                guarded=True,
                headers=headers,
                content=body,
                max_bytes=MAX_RESPONSE_BYTES,
            )
        except OutboundError as exc:
            return _Result(message.id, False, None, str(exc)[:ERROR_LENGTH], _ms(started))
        error = None if reply.ok else f"HTTP {reply.status_code}"
        return _Result(message.id, reply.ok, reply.status_code, error, _ms(started))

    def _send_email(self, message: OutboxMessage, started: float) -> _Result:
        from accountlink_ui.emails import render  # the wording layer, like the API's

        assert message.id is not None and message.recipient is not None
        locale, tz = self._reader(message.recipient, message.organization_id)
        subject, text = render(
            message.payload.get("template", ""),
            message.payload.get("params", {}),
            locale=locale,
            tz=tz,
        )
        try:
            self._mailer.send(message.recipient, subject, text, message_id=message.event_id)
        except SmtpNotConfigured:
            log.info(
                "alert email %s to admin skipped: ACCOUNTLINK_SMTP_URL is not set",
                message.event_type,
            )
            return _Result(message.id, False, None, "smtp_not_configured", 0, skipped=True)
        except MailError as exc:
            return _Result(message.id, False, None, str(exc)[:ERROR_LENGTH], _ms(started))
        return _Result(message.id, True, None, None, _ms(started))

    def _reader(self, recipient: str, organization_id: int) -> tuple[str, str]:
        """The recipient's language (their own choice, else the organization's default) and
        the organization's time zone; English and UTC where none is set."""
        with session_scope(self._engine) as session:
            user = user_by_email(session, recipient)
            org = organization(session, organization_id)
            locale = getattr(user, "locale", None) or getattr(org, "locale", None) or DEFAULT_LOCALE
            tz = getattr(org, "time_zone", None) or "UTC"
        return (locale if locale in LOCALES else DEFAULT_LOCALE), tz

    def _record(self, session: Session, result: _Result) -> None:
        message = session.get(OutboxMessage, result.message_id)
        if message is None or message.status != OutboxStatus.PENDING:
            return
        now = self._clock()
        message.attempts += 1
        message.last_attempt_at = now
        message.last_status_code = result.status_code
        message.last_error = result.error
        if not result.skipped:
            repo.add_attempt(
                session,
                OutboxAttempt(
                    message_id=result.message_id,
                    attempt=message.attempts,
                    at=now,
                    status_code=result.status_code,
                    error=result.error,
                    duration_ms=result.duration_ms,
                ),
            )
        schedule = self._settings.outbox_retry_seconds
        if result.ok:
            message.status = OutboxStatus.DELIVERED.value
            message.delivered_at = now
        elif result.skipped or message.attempts > len(schedule):
            message.status = OutboxStatus.FAILED.value
        else:
            message.next_attempt_at = now + timedelta(seconds=schedule[message.attempts - 1])
        session.add(message)
        if message.endpoint_id is not None and not result.skipped:
            self._track_endpoint(session, message.endpoint_id, result.ok, now)

    def _track_endpoint(self, session: Session, endpoint_id: int, ok: bool, now: datetime) -> None:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            return
        if ok:
            endpoint.consecutive_failures, endpoint.failing_since = 0, None
            session.add(endpoint)
            return
        endpoint.consecutive_failures += 1
        endpoint.failing_since = as_utc(endpoint.failing_since) or now
        settings = self._settings
        failing_for = now - endpoint.failing_since
        if (
            endpoint.enabled
            and endpoint.consecutive_failures >= settings.webhook_disable_after_failures
            and failing_for >= timedelta(hours=settings.webhook_disable_after_hours)
        ):
            endpoint.enabled = False
            endpoint.disabled_reason = DISABLED_FAILING
            session.flush()
            repo.fail_pending_of_endpoint(session, endpoint_id, ENDPOINT_GONE)
            enqueue_email(
                session,
                endpoint.organization_id,
                "webhook.disabled",
                {
                    "url": endpoint.url,
                    "failures": endpoint.consecutive_failures,
                    "since": endpoint.failing_since.isoformat(),
                },
                at=now,
            )
            log.warning("outbox: webhook endpoint %s disabled after failing", endpoint_id)
        session.add(endpoint)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

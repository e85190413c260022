"""Claims in from the organization's own app, and their status back out (POST/GET /claims).

Policy lives here; the queries in ``claims_repository``; the routes only translate.

- **Tenancy.** Every call takes the token's ``ApiActor``; its organization is the only
  one whose claims it sees. Another organization's claim is ``NotFound``, like a claim
  that does not exist.
- **All or nothing.** A request (one claim or a batch of up to 500) is stored whole or
  not at all: any invalid claim refuses the request (``ClaimsInvalid``, every problem
  listed), any claim whose id was used with another body refuses it (``ClaimsConflict``,
  the fields that differ listed). Claims sent again unchanged are answered from what is
  stored, so a client retries a whole batch safely.
- **Idempotency-Key.** A successful answer is kept under the key for 24 hours and
  replayed for the same body; the same key with another body is ``IdempotencyKeyReused``.
- **Send at once.** New claims wait for the next scheduled sync, unless one of the
  organization's integrations has ``send_at_once``: then the request marks it, and the
  scheduler leader starts the sync (never this request; see ``scheduler``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from accountlink_ui import claims_repository, integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.models import ClaimStatus, ExpenseClaim, IdempotentRequest, as_utc, utcnow
from accountlink_ui.services.access import integration_for_admin
from accountlink_ui.services.api_token_service import ApiActor
from accountlink_ui.services.claim_intake import (
    ClaimProblem,
    IntakeClaim,
    check_claims,
    claim_items,
    stored_canonical,
)
from accountlink_ui.services.errors import NotFound, ServiceError

IDEMPOTENCY_HOURS = 24
MAX_PAGE = 500
STATUSES = ("waiting", "sending", "exported", "refused", "withdrawn")


class ClaimsInvalid(ServiceError):
    """Some posted claims are invalid; nothing was stored."""

    def __init__(self, problems: list[ClaimProblem]) -> None:
        self.problems = problems
        super().__init__(Message.of("claims.invalid", count=len(problems)))


@dataclass(frozen=True)
class ClaimConflict:
    index: int
    external_id: str
    fields: list[str]


class ClaimsConflict(ServiceError):
    """Some claim ids were used before with another body; nothing was stored."""

    def __init__(self, conflicts: list[ClaimConflict]) -> None:
        self.conflicts = conflicts
        super().__init__(Message.of("claims.conflict", count=len(conflicts)))


class ClaimStateConflict(ServiceError):
    """Retry or withdraw asked of a claim whose status does not allow it."""

    def __init__(self, action: str, external_id: str, status: str) -> None:
        self.action, self.external_id, self.status = action, external_id, status
        super().__init__(
            Message.of(
                f"claims.state.{action}",
                claim=external_id,
                status=Message.of(f"claims.status.{status}"),
            )
        )


class IdempotencyKeyReused(ServiceError):
    """An Idempotency-Key already answered a different request body."""


class InvalidCursor(ServiceError):
    pass


@dataclass(frozen=True)
class ClaimStatusView:
    """One claim as its app sees it: what it sent, and where it stands."""

    external_id: str
    status: str
    """waiting, sending, exported, refused or withdrawn."""
    claimant: str
    claim_date: str
    amount: str
    currency: str
    description: str
    category: str
    vat_amount: str | None
    cost_centre: str | None
    project: str | None
    employee_number: str | None
    account_code: str
    received_at: datetime
    changed_at: datetime
    ledger_reference: str | None
    exported_at: datetime | None
    refusal: str | None
    """Why the accounting system refused it, in its words: what to fix before retrying."""


class IntakeItem(NamedTuple):
    """One posted claim's result: where it stands (the whole claim is a GET away).

    A named tuple for the reason ``IntakeClaim`` is one: a request makes 500 of them."""

    position: int
    external_id: str
    created: bool
    status: str
    changed_at: datetime


@dataclass(frozen=True)
class IntakeResult:
    items: list[IntakeItem]
    sync_requested: bool

    @property
    def created(self) -> int:
        return sum(1 for item in self.items if item.created)


@dataclass(frozen=True)
class ClaimPage:
    claims: list[ClaimStatusView]
    next_cursor: str | None


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def request_digest(body: bytes) -> str:
    """Of the request body as parsed, so whitespace and key order do not count."""
    try:
        parsed = json.loads(body, parse_float=Decimal)
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str)
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(canonical.encode()).hexdigest()


def status_of(claim: ExpenseClaim) -> str:
    """The API's word for a claim's state: approved splits into waiting and refused."""
    if claim.status == ClaimStatus.APPROVED:
        return "refused" if claim.last_error else "waiting"
    return str(claim.status)  # sending, exported, withdrawn


def claim_view(claim: ExpenseClaim) -> ClaimStatusView:
    canonical = stored_canonical(claim)
    status = status_of(claim)
    return ClaimStatusView(
        external_id=claim.external_id or "",
        status=status,
        claimant=claim.claimant,
        claim_date=canonical["claim_date"] or "",
        amount=canonical["amount"] or "",
        currency=claim.currency,
        description=claim.description,
        category=claim.category,
        vat_amount=canonical["vat_amount"],
        cost_centre=claim.cost_centre,
        project=claim.project,
        employee_number=claim.employee_number,
        account_code=claim.account_code,
        received_at=as_utc(claim.created_at),
        changed_at=as_utc(claim.updated_at),
        ledger_reference=claim.external_reference if status == "exported" else None,
        exported_at=as_utc(claim.exported_at) if status == "exported" else None,
        refusal=claim.last_error if status == "refused" else None,
    )


CURSOR_PATTERN = r"^c1[0-9a-f]{1,12}$"
"""A page cursor: opaque to callers (its form may change), checkable by a schema."""


def encode_cursor(claim_id: int) -> str:
    return f"c1{claim_id:x}"


def decode_cursor(cursor: str) -> int:
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise InvalidCursor(Message.of("claims.bad_cursor"))
    return int(cursor[2:], 16)


class ClaimIntakeService:
    """Stateless over the engine: cheap to build per request."""

    def __init__(self, *, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    # ---- intake ------------------------------------------------------------------------

    def submit(self, actor: ApiActor, payload: object) -> IntakeResult:
        """Store the posted claims whole, or refuse them whole (see the module docstring)."""
        now = self._clock()
        items, problems = claim_items(payload)
        claims, item_problems = check_claims(items, now.date())
        problems += item_problems
        if problems:
            raise ClaimsInvalid(problems)
        # Most requests carry new claims only: insert them without looking first, and let
        # the unique index say when one was stored before (a repeat, or a conflict). Then
        # the transaction is rolled back whole and the ids are looked up, as they are on a
        # second try when another request stored one between our read and our insert.
        # The look-up costs as much as a tenth of a 500-claim request (bench/intake.py).
        for look_up in (False, True):
            try:
                return self._store(actor, claims, now, look_up=look_up)
            except IntegrityError:
                pass
        return self._store(actor, claims, now, look_up=True)

    def _store(
        self, actor: ApiActor, claims: list[IntakeClaim], now: datetime, *, look_up: bool
    ) -> IntakeResult:
        organization_id = actor.organization_id
        with session_scope(self._engine) as session:
            stored = (
                claims_repository.claims_by_external_id(
                    session, organization_id, [claim.external_id for claim in claims]
                )
                if look_up
                else {}
            )
            conflicts = [
                ClaimConflict(claim.position, claim.external_id, differences)
                for claim in claims
                if (existing := stored.get(claim.external_id)) is not None
                and (differences := _differences(claim, existing))
            ]
            if conflicts:
                raise ClaimsConflict(conflicts)
            new = [claim for claim in claims if claim.external_id not in stored]
            claims_repository.insert_claims(session, claim_rows(organization_id, new, now))
            sync_requested = False
            if new:
                sync_requested = claims_repository.request_syncs(session, organization_id, now) > 0
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization_id,
                    actor_id=actor.user_id,
                    action="claims.received",
                    details={"created": len(new), "repeated": len(claims) - len(new)},
                )
            items = []
            for claim in claims:
                existing = stored.get(claim.external_id)
                if existing is None:
                    items.append(
                        IntakeItem(claim.position, claim.external_id, True, "waiting", now)
                    )
                else:
                    changed = as_utc(existing.updated_at) or now
                    status = status_of(existing)
                    items.append(
                        IntakeItem(claim.position, claim.external_id, False, status, changed)
                    )
        return IntakeResult(items=items, sync_requested=sync_requested)

    # ---- Idempotency-Key ---------------------------------------------------------------

    def replay(self, actor: ApiActor, key: str, digest: str) -> StoredAnswer | None:
        """The answer given under ``key``, if any; refuses a key reused for another body."""
        with session_scope(self._engine) as session:
            row = claims_repository.idempotent_request(
                session, actor.organization_id, key, self._clock()
            )
            if row is None:
                return None
            if row.request_digest != digest:
                raise IdempotencyKeyReused(Message.of("claims.key_reused"))
            return StoredAnswer(row.status_code, dict(row.response))

    def remember(self, actor: ApiActor, key: str, digest: str, answer: StoredAnswer) -> None:
        now = self._clock()
        row = IdempotentRequest(
            organization_id=actor.organization_id,
            key=key,
            request_digest=digest,
            status_code=answer.status_code,
            response=answer.body,
            expires_at=now + timedelta(hours=IDEMPOTENCY_HOURS),
        )
        try:
            with session_scope(self._engine) as session:
                claims_repository.save_idempotent_request(session, row, now)
        except IntegrityError:
            pass  # a concurrent request with the same key stored its (equal) answer first

    # ---- status ------------------------------------------------------------------------

    def list_claims(
        self,
        actor: ApiActor,
        *,
        status: str | None = None,
        changed_since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> ClaimPage:
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        limit = max(1, min(limit, MAX_PAGE))
        after = decode_cursor(cursor) if cursor else 0
        with session_scope(self._engine) as session:
            rows = claims_repository.list_claims(
                session,
                actor.organization_id,
                status=status,
                changed_since=changed_since,
                after_id=after,
                limit=limit + 1,
            )
            views = [claim_view(row) for row in rows[:limit]]
            last = rows[limit - 1].id if len(rows) > limit else None
        return ClaimPage(views, encode_cursor(last) if last is not None else None)

    def get_claim(self, actor: ApiActor, external_id: str) -> ClaimStatusView:
        with session_scope(self._engine) as session:
            return claim_view(self._claim(session, actor, external_id))

    def retry(self, actor: ApiActor, external_id: str) -> ClaimStatusView:
        """A refused claim waits again: the next sync sends it (after the cause is fixed)."""
        return self._change(actor, external_id, "retry")

    def withdraw(self, actor: ApiActor, external_id: str) -> ClaimStatusView:
        """A claim not sent yet (waiting or refused) is never sent; withdrawing twice is fine."""
        return self._change(actor, external_id, "withdraw")

    def _change(self, actor: ApiActor, external_id: str, action: str) -> ClaimStatusView:
        now = self._clock()
        with session_scope(self._engine) as session:
            claim = self._claim(session, actor, external_id)
            assert claim.id is not None
            if action == "withdraw":
                if claim.status == ClaimStatus.WITHDRAWN:
                    return claim_view(claim)
                changed = claims_repository.withdraw_claim(session, claim.id, now)
            else:
                changed = claims_repository.clear_refusal(session, claim.id, now)
                if changed:
                    claims_repository.request_syncs(session, actor.organization_id, now)
            if not changed:
                session.refresh(claim)
                raise ClaimStateConflict(action, external_id, status_of(claim))
            integrations_repository.add_audit_event(
                session,
                organization_id=actor.organization_id,
                actor_id=actor.user_id,
                action="claim.withdrawn" if action == "withdraw" else "claim.retried",
                details={"claim": external_id},
            )
            session.refresh(claim)
            return claim_view(claim)

    def _claim(self, session: Any, actor: ApiActor, external_id: str) -> ExpenseClaim:
        claim = claims_repository.claim_by_external_id(session, actor.organization_id, external_id)
        if claim is None:
            raise NotFound(Message.of("claims.not_found", claim=external_id))
        return claim

    # ---- the send-at-once setting ------------------------------------------------------

    def set_send_at_once(self, actor: ApiActor, integration_id: int, on: bool) -> bool:
        with session_scope(self._engine) as session:
            row = integration_for_admin(session, actor, integration_id, to="claims")
            if row.send_at_once != on:
                row.send_at_once = on
                session.add(row)
                integrations_repository.add_audit_event(
                    session,
                    organization_id=row.organization_id,
                    actor_id=actor.user_id,
                    action="integration.send_at_once_changed",
                    integration_id=integration_id,
                    details={"send_at_once": on},
                )
            return on


def claim_rows(
    organization_id: int, claims: list[IntakeClaim], now: datetime
) -> list[dict[str, Any]]:
    """The ``expense_claims`` rows for new claims, as ``claims_repository.insert_claims`` takes."""
    approved = ClaimStatus.APPROVED.value
    key_prefix = f"AL-{organization_id}-"
    sha256 = hashlib.sha256
    return [
        {
            "organization_id": organization_id,
            "external_id": claim.external_id,
            "claimant": claim.claimant,
            "claim_date": claim.claim_date,
            "amount": claim.amount,
            "currency": claim.currency,
            "description": claim.description,
            "category": claim.category,
            "vat_amount": claim.vat_amount,
            "cost_centre": claim.cost_centre,
            "project": claim.project,
            "employee_number": claim.employee_number,
            "account_code": claim.account_code,
            "status": approved,
            # Stable for the claim's life and unique across organizations, in the demo
            # claims' shape (AL-{org}-{16 hex}): the targets see it as the voucher's reference.
            "idempotency_key": key_prefix
            + sha256(f"api:{claim.external_id}".encode()).hexdigest()[:16],
            "created_at": now,
            "updated_at": now,
        }
        for claim in claims
    ]


def _differences(claim: IntakeClaim, stored: ExpenseClaim) -> list[str]:
    """The fields a repeat under a stored id changed (none: the same claim, answered again).

    Compared field by field in canonical form, which is what "the same body" means; only
    the few stored claims a request repeats are compared, so new claims carry no digest
    (computing one cost a seventh of a 500-claim request, bench/intake.py)."""
    posted, kept = claim.canonical(), stored_canonical(stored)
    return [name for name in posted if posted[name] != kept[name]]

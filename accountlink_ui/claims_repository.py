"""Claims from the organization's own app (POST /api/v1/claims): the queries, nothing else.

Like ``repository``, every function takes an open session and the service decides the
transaction. A batch is read in one query and written in one statement (insertmanyvalues),
so 500 claims cost a handful of round trips, not 500 (``bench/intake.py``).
Status changes made here are conditional updates: a claim the sync takes at the same
moment is simply not matched, and the caller sees that nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    text,
    true,
    update,
)
from sqlalchemy import select as select_rows
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from accountlink_ui.db import rowcount
from accountlink_ui.models import (
    API_CLAIM,
    ClaimStatus,
    ExpenseClaim,
    IdempotentRequest,
    Integration,
    IntegrationStatus,
    table_of,
)

_claims = table_of(ExpenseClaim)
_c = _claims.c

STATUS_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "waiting": and_(_c.status == ClaimStatus.APPROVED.value, _c.last_error.is_(None)),
    "refused": and_(_c.status == ClaimStatus.APPROVED.value, _c.last_error.is_not(None)),
    "sending": _c.status == ClaimStatus.SENDING.value,
    "exported": _c.status == ClaimStatus.EXPORTED.value,
    "withdrawn": _c.status == ClaimStatus.WITHDRAWN.value,
}
"""The API's status words, as conditions on the stored status and refusal."""


def claims_by_external_id(
    session: Session, organization_id: int, external_ids: Sequence[str]
) -> dict[str, ExpenseClaim]:
    """The organization's claims with these ids of its app, in one query."""
    if not external_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        statement = _lookup_each(organization_id, list(external_ids))
    else:
        # No "external_id IS NOT NULL" here: SQLite infers it from the IN (so the partial
        # unique index still applies), while spelling it out made SQLite walk the index
        # as a range over every API claim of the organization (5.5 ms at 30,000 claims,
        # growing; 0.2 ms this way). The ids travel as one JSON parameter: binding and
        # processing 500 placeholders cost more than the probes.
        wanted = func.json_each(
            bindparam("external_ids", json.dumps(list(external_ids)))
        ).table_valued("value")
        statement = select(ExpenseClaim).where(
            col(ExpenseClaim.organization_id) == organization_id,
            col(ExpenseClaim.external_id).in_(select_rows(wanted.c.value)),
        )
    rows = session.exec(statement).all()
    return {row.external_id: row for row in rows if row.external_id}


def _lookup_each(organization_id: int, external_ids: list[str]) -> Any:
    """One unique-index probe per id, whatever PostgreSQL's statistics say.

    The plain ``external_id = ANY($2)`` form, once psycopg prepares it (after five calls),
    gets a generic plan; with statistics taken while the table was small that plan reads
    every API claim of the organization through ``ix_expense_claims_changed`` and compares
    each with all 500 ids (measured: 90 ms at 12,000 claims, growing with the table, against
    1 ms here). A LATERAL subquery with equality on the whole unique key and LIMIT 1 can
    only be planned as an index probe, so the lookup stays flat as the table grows. The ids
    travel as one array parameter: psycopg re-parses 500 placeholders on every call.
    """
    wanted = (
        func.unnest(bindparam("external_ids", external_ids, type_=ARRAY(String())))
        .table_valued("external_id")
        .render_derived(name="wanted")
    )
    match = (
        select(ExpenseClaim)
        .where(
            col(ExpenseClaim.organization_id) == organization_id,
            text(API_CLAIM),
            col(ExpenseClaim.external_id) == wanted.c.external_id,
        )
        .limit(1)
        .subquery()
        .lateral("match")
    )
    return select(aliased(ExpenseClaim, match)).select_from(wanted).join(match, true())


def claim_by_external_id(
    session: Session, organization_id: int, external_id: str
) -> ExpenseClaim | None:
    return session.exec(
        select(ExpenseClaim).where(
            col(ExpenseClaim.organization_id) == organization_id,
            text(API_CLAIM),
            col(ExpenseClaim.external_id) == external_id,
        )
    ).first()


def insert_claims(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new claims as one executemany: SQLite runs it in one call, psycopg pipelines it.

    No RETURNING: with it SQLAlchemy sends one multi-row INSERT whose 8,500 parameters
    psycopg re-parses on every call (it took longer than PostgreSQL's insert itself).
    """
    if rows:
        session.execute(insert(_claims), list(rows))


def list_claims(
    session: Session,
    organization_id: int,
    *,
    status: str | None,
    changed_since: datetime | None,
    after_id: int,
    limit: int,
) -> list[ExpenseClaim]:
    """Claims the app posted, by id (a stable order however statuses change), after a cursor."""
    query = select(ExpenseClaim).where(
        col(ExpenseClaim.organization_id) == organization_id,
        text(API_CLAIM),
        col(ExpenseClaim.id) > after_id,
    )
    if status is not None:
        query = query.where(STATUS_CONDITIONS[status])
    if changed_since is not None:
        query = query.where(col(ExpenseClaim.updated_at) >= changed_since)
    return list(session.exec(query.order_by(col(ExpenseClaim.id)).limit(limit)).all())


def withdraw_claim(session: Session, claim_id: int, at: datetime) -> bool:
    """Withdraw a claim no run has taken (waiting or refused); False if it is sent or sending."""
    changed = session.execute(
        update(_claims)
        .where(_c.id == claim_id, _c.status == ClaimStatus.APPROVED.value)
        .values(status=ClaimStatus.WITHDRAWN.value, updated_at=at)
    )
    return bool(rowcount(changed))


def clear_refusal(session: Session, claim_id: int, at: datetime) -> bool:
    """Let the next run send a refused claim again; False if it is not refused (any more)."""
    changed = session.execute(
        update(_claims)
        .where(
            _c.id == claim_id,
            _c.status == ClaimStatus.APPROVED.value,
            _c.last_error.is_not(None),
        )
        .values(last_error=None, updated_at=at)
    )
    return bool(rowcount(changed))


# --- idempotency keys -------------------------------------------------------------------------


def idempotent_request(
    session: Session, organization_id: int, key: str, now: datetime
) -> IdempotentRequest | None:
    """The stored answer under ``key``, unless it has expired."""
    return session.exec(
        select(IdempotentRequest).where(
            col(IdempotentRequest.organization_id) == organization_id,
            col(IdempotentRequest.key) == key,
            col(IdempotentRequest.expires_at) > now,
        )
    ).first()


def save_idempotent_request(session: Session, row: IdempotentRequest, now: datetime) -> None:
    """Store an answer, first dropping expired ones (any organization's: they are dead)."""
    session.execute(delete(IdempotentRequest).where(col(IdempotentRequest.expires_at) <= now))
    session.add(row)


# --- "send at once" ---------------------------------------------------------------------------


_REQUEST_SYNCS = (
    update(Integration)
    .where(
        col(Integration.organization_id) == bindparam("of_organization"),
        col(Integration.send_at_once).is_(True),
        col(Integration.status).in_(
            (IntegrationStatus.ACTIVE.value, IntegrationStatus.ERROR.value)
        ),
    )
    .values(sync_requested_at=bindparam("at"))
    .execution_options(synchronize_session=False)
)
"""Built once: every intake request runs it."""


def request_syncs(session: Session, organization_id: int, at: datetime) -> int:
    """Ask the scheduler to sync the organization's send-at-once integrations now."""
    changed = session.execute(_REQUEST_SYNCS, {"of_organization": organization_id, "at": at})
    return rowcount(changed)


def requested_syncs(session: Session) -> list[tuple[int, datetime]]:
    """Integrations with a sync asked for, and when it was asked."""
    rows = session.execute(
        select_rows(col(Integration.id), col(Integration.sync_requested_at)).where(
            col(Integration.sync_requested_at).is_not(None)
        )
    ).all()
    return [(int(i), at) for i, at in rows]


def clear_sync_request(session: Session, integration_id: int, requested_at: datetime) -> None:
    """Clear a request the scheduler has acted on, unless a newer one came meanwhile."""
    session.execute(
        update(Integration)
        .where(
            col(Integration.id) == integration_id,
            col(Integration.sync_requested_at) == requested_at,
        )
        .values(sync_requested_at=None)
        .execution_options(synchronize_session=False)
    )

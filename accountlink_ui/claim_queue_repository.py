"""Claim-queue repository: the expense claims a sync reads, reserves, marks and releases.

The queries, and nothing but the queries; the sync engine (services/sync_export.py)
decides the transactions. Hot paths run compiled statements through the driver (see
``reserve_waiting_claims``), because a run may move thousands of claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, and_, bindparam, func, or_, text, update
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, col, select

from accountlink_ui.accounting.vouchers import ExportRecord
from accountlink_ui.db import rowcount
from accountlink_ui.models import (
    UNCONFIRMED_CLAIM,
    WAITING_CLAIM,
    ClaimStatus,
    ExpenseClaim,
    Integration,
    table_of,
    utcnow,
)


def _unconfirmed_by(integration_id: int) -> Any:
    """Sends whose answer was never recorded that this integration must settle: its own, and
    those of an integration that no longer exists."""
    return and_(
        text(UNCONFIRMED_CLAIM),  # literal, to match the partial index
        or_(
            col(ExpenseClaim.exported_integration_id) == integration_id,
            col(ExpenseClaim.exported_integration_id).is_(None),
            col(ExpenseClaim.exported_integration_id).not_in(select(Integration.id)),
        ),
    )


def _waiting() -> Any:
    """Approved and never refused: what a run sends for the first time. Literal SQL, so the
    planners see it matches the partial index ``ix_expense_claims_waiting``."""
    return text(WAITING_CLAIM)


def _export_columns() -> tuple[Any, ...]:
    """What a run reads of a claim: plain rows, not ORM objects, because a run may read
    thousands and building entities would cost more than the query itself. The fields of an
    ``ExportRecord`` in its order, the claim id first (the sync unpacks them by position)."""
    claim = table_of(ExpenseClaim).c
    return (
        claim.id,
        claim.idempotency_key,
        claim.claim_date,
        claim.amount,
        claim.currency,
        claim.category,
        claim.vat_amount,
        claim.cost_centre,
        claim.project,
        claim.employee_number,
        claim.account_code,
        claim.description,
        claim.claimant,
    )


_OLDEST_FIRST = itemgetter(2, 0)
"""Claim date, then id, of an ``_export_columns`` row (by position: a run sorts thousands)."""


def unconfirmed_claims(session: Session, organization_id: int, integration_id: int) -> list[Any]:
    """Claims an earlier run of this integration sent without recording the answer, oldest
    first: the target may hold them, so a run asks it before sending them again."""
    claim = table_of(ExpenseClaim).c
    return list(
        session.execute(
            select(*_export_columns())
            .where(claim.organization_id == organization_id, _unconfirmed_by(integration_id))
            .order_by(claim.claim_date, claim.id)
        ).all()
    )


def pending_claims(
    session: Session, organization_id: int, integration_id: int, *, limit: int
) -> list[ExportRecord]:
    """What this integration's next run would send first, oldest first, read without
    reserving anything: the posting preview's claims."""
    claim = table_of(ExpenseClaim).c
    rows = session.execute(
        select(*_export_columns())
        .where(
            claim.organization_id == organization_id,
            or_(_unconfirmed_by(integration_id), _waiting()),
        )
        .order_by(claim.claim_date, claim.id)
        .limit(limit)
    ).all()
    return [ExportRecord(*row) for row in rows]


def waiting_claims_count(session: Session, organization_id: int) -> int:
    """How many claims wait to be sent for the first time. A run sends that many, oldest
    first, so the count it reports stays true while more claims are approved."""
    count = session.execute(
        select(func.count()).where(col(ExpenseClaim.organization_id) == organization_id, _waiting())
    ).scalar_one()
    return int(count)


def reserve_claims(session: Session, claim_ids: Sequence[int], integration_id: int) -> set[int]:
    """Mark unconfirmed claims as being sent by this integration, unless another run took
    them first. Returns the ids now reserved for this integration."""
    reserved = session.execute(
        update(ExpenseClaim)
        .where(
            col(ExpenseClaim.id).in_(claim_ids),
            or_(_waiting(), _unconfirmed_by(integration_id)),
        )
        .values(
            status=ClaimStatus.SENDING.value,
            exported_integration_id=integration_id,
            updated_at=utcnow(),
        )
        .returning(col(ExpenseClaim.id))
        .execution_options(synchronize_session=False)
    ).scalars()
    return set(reserved)


WaitingClaim = ExportRecord
"""A claim a run has just reserved, as the adapters' vouchers are built from it."""


@lru_cache(maxsize=4)
def _reserve_waiting_statement(dialect: Dialect) -> SQLCompiler:
    """``reserve_waiting_claims``'s statement, compiled once per database kind.

    The outer condition repeats the inner one so a claim another integration took between
    the two (PostgreSQL, READ COMMITTED) is skipped rather than taken twice; ``SKIP LOCKED``
    keeps two runs from queueing on each other's rows (SQLite writes one at a time anyway).
    """
    claim = table_of(ExpenseClaim).c
    oldest = (
        select(claim.id)
        .where(claim.organization_id == bindparam("organization_id"), _waiting())
        .order_by(claim.claim_date, claim.id)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)
        # Materialized: as a plain IN (subquery) PostgreSQL may run the subquery again per
        # row and take more than ``limit`` claims.
        .cte("oldest")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        update(table_of(ExpenseClaim))
        .where(claim.id.in_(select(oldest.c.id)), _waiting())
        .values(
            status=ClaimStatus.SENDING.value,
            exported_integration_id=bindparam("integration_id"),
            updated_at=bindparam("updated_at", type_=claim.updated_at.type),
        )
        .returning(*_export_columns())
    )
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # what every dialect compiles DML with
    return compiled


def reserve_waiting_claims(
    session: Session, organization_id: int, integration_id: int, *, limit: int
) -> list[WaitingClaim]:
    """Take the oldest ``limit`` waiting claims for this integration and return them, oldest
    first, in one statement: reading and reserving a batch together is what lets a run
    prepare the next batch while the current one is on the wire.

    Run through the driver with the statement compiled once, and the rows converted here:
    SQLAlchemy's statement and row handling took a third of a batch's database time, on
    the thread that competes with the one waiting for the target's answer.
    """
    connection = session.connection()
    compiled = _reserve_waiting_statement(connection.dialect)
    values = compiled.construct_params(
        {
            "organization_id": organization_id,
            "integration_id": integration_id,
            "batch": limit,
            "updated_at": _driver_datetime(connection.dialect, utcnow()),
        }
    )
    parameters: Any = (
        tuple(values[name] for name in compiled.positiontup or ())
        if compiled.positional
        else values
    )
    raw = connection.exec_driver_sql(compiled.string, parameters).fetchall()
    rows = [_export_record(*row) for row in raw]
    rows.sort(key=_OLDEST_FIRST)  # RETURNING keeps no order
    return rows


def _export_record(
    claim_id: int,
    key: str,
    claim_date: Any,
    amount: Any,
    currency: str,
    category: str,
    vat: Any,
    *rest: Any,
) -> ExportRecord:
    """A driver row as the ORM would read it: SQLite gives dates as text and NUMERIC as float."""
    return ExportRecord(
        claim_id,
        key,
        claim_date if isinstance(claim_date, date) else date.fromisoformat(claim_date),
        _decimal(amount),
        currency,
        category,
        None if vat is None else _decimal(vat),
        *rest,
    )


def _decimal(value: Any) -> Decimal:
    """SQLite hands NUMERIC back as float through the driver: two places make it exact."""
    return value if isinstance(value, Decimal) else Decimal(f"{value:.2f}")


def _driver_datetime(dialect: Dialect, at: datetime) -> Any:
    """``at`` as SQLAlchemy would store it in a timezone-aware DateTime column, for SQL run
    straight through the driver (SQLite keeps text, PostgreSQL the datetime itself)."""
    column_type = table_of(ExpenseClaim).c.updated_at.type
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    return process(at) if process else at


def mark_claims_exported(
    session: Session, references: Mapping[int, str], integration_id: int, at: datetime
) -> None:
    """Claim id → the target's reference: exported, in one statement per batch.

    Handed to the driver's ``executemany`` as plain tuples: SQLAlchemy's per-row parameter
    handling cost more than the update itself, and a run marks every claim it sends.
    """
    if not references:
        return
    connection = session.connection()
    dialect = connection.dialect
    exported_at = _driver_datetime(dialect, at)  # stored as SQLAlchemy stores it
    exported = ClaimStatus.EXPORTED.value
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"UPDATE expense_claims SET status = {mark}, external_reference = {mark}, "
        f"exported_at = {mark}, exported_integration_id = {mark}, last_error = NULL, "
        f"updated_at = {mark} WHERE id = {mark}",
        [
            (exported, reference[:120], exported_at, integration_id, exported_at, claim_id)
            for claim_id, reference in references.items()
        ],
    )


def mark_claims_refused(session: Session, reasons: Mapping[int, str]) -> None:
    """Claim id → why the target refused it: back to approved, not sent again until fixed."""
    if not reasons:
        return
    claim = table_of(ExpenseClaim).c
    session.execute(
        update(table_of(ExpenseClaim))
        .where(claim.id == bindparam("claim_id"))
        .values(
            status=ClaimStatus.APPROVED.value,
            exported_integration_id=None,
            last_error=bindparam("reason"),
            updated_at=utcnow(),
        ),
        [{"claim_id": claim_id, "reason": reason[:1000]} for claim_id, reason in reasons.items()],
    )


def release_claims(session: Session, claim_ids: Sequence[int]) -> None:
    """Claims reserved for a batch the target provably never stored: waiting again, as if no
    run had taken them, so the next run sends them fresh instead of asking about them."""
    if not claim_ids:
        return
    session.execute(
        update(ExpenseClaim)
        .where(col(ExpenseClaim.id).in_(claim_ids), text(UNCONFIRMED_CLAIM))
        .values(
            status=ClaimStatus.APPROVED.value, exported_integration_id=None, updated_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )


def claims_of(
    session: Session, organization_id: int, *, limit: int = 500
) -> list[tuple[ExpenseClaim, str | None]]:
    """The organization's claims, newest first, each with the name of where it went."""
    rows = session.exec(
        select(ExpenseClaim, Integration.display_name)
        .join(
            Integration,
            col(Integration.id) == ExpenseClaim.exported_integration_id,
            isouter=True,
        )
        .where(ExpenseClaim.organization_id == organization_id)
        .order_by(col(ExpenseClaim.claim_date).desc(), col(ExpenseClaim.id).desc())
        .limit(limit)
    ).all()
    return [(claim, name) for claim, name in rows]


def waiting_claims_total(session: Session) -> int:
    """Claims waiting for their first sync over every organization (the metrics' queue
    depth): a count over the partial index ``ix_expense_claims_waiting`` alone."""
    return int(
        session.execute(
            select(func.count()).select_from(ExpenseClaim).where(_waiting())
        ).scalar_one()
    )


def return_claims_to_approved(session: Session, organization_id: int) -> int:
    """Every claim of the organization waits again as if never sent (the demo's reset);
    returns how many changed."""
    result = session.execute(
        update(ExpenseClaim)
        .where(
            col(ExpenseClaim.organization_id) == organization_id,
            or_(
                col(ExpenseClaim.status) != ClaimStatus.APPROVED.value,
                col(ExpenseClaim.last_error).is_not(None),
            ),
        )
        .values(
            status=ClaimStatus.APPROVED.value,
            external_reference=None,
            exported_at=None,
            exported_integration_id=None,
            last_error=None,
        )
    )
    return rowcount(result)


def claim_keys(session: Session, claim_ids: Sequence[int]) -> list[tuple[int, str, str | None]]:
    """(id, idempotency key, the caller's external id) of each claim, 500 ids a query."""
    found: list[tuple[int, str, str | None]] = []
    for start in range(0, len(claim_ids), 500):
        chunk = list(claim_ids[start : start + 500])
        rows = session.exec(
            select(ExpenseClaim.id, ExpenseClaim.idempotency_key, ExpenseClaim.external_id).where(
                col(ExpenseClaim.id).in_(chunk)
            )
        ).all()
        found.extend((claim_id or 0, key, external) for claim_id, key, external in rows)
    return found

"""Scheduling repository: lease rows (``scheduler_leases``) and APScheduler's job rows.

The statements only. Who leads the scheduler (``services/scheduler_lease.py``) and
which run owns an integration's sync (``services/sync_lease.py``) are decided by the
services; each function here says which single statement settles a race and why
only one contender can win it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    LargeBinary,
    MetaData,
    Table,
    Unicode,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col

from accountlink_ui.db import rowcount, session_scope
from accountlink_ui.models import SchedulerLease, as_utc, table_of

LEASES = table_of(SchedulerLease)
_UPSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

JOBS_TABLE = "apscheduler_jobs"
# The same shape SQLAlchemyJobStore declares, on a private MetaData so Alembic and
# the test helpers that walk SQLModel.metadata never see it.
_jobs = Table(
    JOBS_TABLE,
    MetaData(),
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# --- leases ------------------------------------------------------------------------------------


def supports_lease_upsert(engine: Engine) -> bool:
    """Whether ``claim_lease`` has an INSERT ... ON CONFLICT for this database."""
    return engine.dialect.name in _UPSERTS


def claim_lease(
    connection: Connection, name: str, holder: str, *, now: datetime, expires_at: datetime
) -> bool:
    """Take the lease if it is free or expired, or extend it if ``holder`` has it; True when
    ``holder`` holds it now. One upsert whose WHERE re-checks the winner's row, so two
    racers cannot both succeed; RETURNING rather than rowcount (psycopg reports -1 for an
    upsert's rowcount)."""
    insert = _UPSERTS[connection.dialect.name]
    claim = insert(LEASES).values(name=name, holder=holder, expires_at=expires_at)
    claim = claim.on_conflict_do_update(
        index_elements=[LEASES.c.name],
        set_={"holder": claim.excluded.holder, "expires_at": claim.excluded.expires_at},
        where=or_(LEASES.c.holder == holder, LEASES.c.expires_at < now),
    ).returning(LEASES.c.holder)
    return bool(connection.execute(claim).scalar_one_or_none() == holder)


def drop_lease(connection: Connection, name: str, holder: str) -> None:
    """Release the lease if ``holder`` has it (a no-op otherwise)."""
    connection.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder))


def lease_holder(connection: Connection, name: str, now: datetime) -> str | None:
    """Who holds the named lease at ``now``; an expired row counts as nobody."""
    holder = connection.execute(
        select(LEASES.c.holder).where(LEASES.c.name == name, LEASES.c.expires_at > now)
    ).scalar_one_or_none()
    return None if holder is None else str(holder)


def insert_lease(engine: Engine, name: str, holder: str, expires_at: datetime) -> bool:
    """Take a lease nobody has held yet, in a transaction of its own: the primary key lets
    exactly one INSERT win. False when the row exists (held, or expired and waiting for
    ``take_expired_lease``)."""
    try:
        with session_scope(engine) as session:
            session.add(SchedulerLease(name=name, holder=holder, expires_at=expires_at))
            session.flush()
    except IntegrityError:
        return False
    return True


def take_expired_lease(
    session: Session, name: str, holder: str, *, now: datetime, expires_at: datetime
) -> bool:
    """Take over a lease whose holder stopped renewing; only one UPDATE can match."""
    taken = session.execute(
        update(SchedulerLease)
        .where(col(SchedulerLease.name) == name, col(SchedulerLease.expires_at) < now)
        .values(holder=holder, expires_at=expires_at)
    )
    return rowcount(taken) == 1


def renew_lease(session: Session, name: str, holder: str, expires_at: datetime) -> bool:
    """Push the expiry out; False if ``holder`` no longer has the lease."""
    renewed = session.execute(
        update(SchedulerLease)
        .where(col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder)
        .values(expires_at=expires_at)
    )
    return rowcount(renewed) == 1


def release_lease(session: Session, name: str, holder: str) -> None:
    session.execute(
        delete(SchedulerLease).where(
            col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder
        )
    )


def lease_expiry(session: Session, name: str) -> datetime | None:
    """When the named lease runs out (past or future); None when there is no row."""
    lease = session.get(SchedulerLease, name)
    return as_utc(lease.expires_at) if lease is not None else None


# --- APScheduler's job rows --------------------------------------------------------------------


def job_rows(
    engine: Engine, prefix: str, job_ids: Sequence[str] | None = None
) -> list[tuple[str, bytes]]:
    """(job id, pickled job state) of the jobs whose id starts with ``prefix`` (or only
    ``job_ids``); an empty list until a scheduler leader has created the table."""
    query = select(_jobs.c.id, _jobs.c.job_state).where(_jobs.c.id.startswith(prefix))
    if job_ids is not None:
        query = query.where(_jobs.c.id.in_(list(job_ids)))
    try:
        with engine.connect() as connection:
            return [(str(job_id), bytes(state)) for job_id, state in connection.execute(query)]
    except DBAPIError as error:
        if _missing_table(error):
            return []
        raise


def _missing_table(error: DBAPIError) -> bool:
    """The job table does not exist yet (no leader has started): PostgreSQL's
    undefined_table, SQLite's "no such table"."""
    return getattr(error.orig, "sqlstate", None) == "42P01" or "no such table" in str(error.orig)

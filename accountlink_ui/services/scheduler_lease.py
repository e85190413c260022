"""Which process runs the sync schedules: a lease row in ``scheduler_leases``.

Every app process competes for the row named ``sync-scheduler``; the one that
holds it runs APScheduler, the others only wait. Holding it means renewing
``expires_at`` well before it passes; a process that dies simply stops
renewing and another takes over once the row has expired.

Taking and renewing are one statement, ``INSERT ... ON CONFLICT (name) DO
UPDATE ... WHERE holder = me OR expires_at < now``: the primary key lets only
one racer insert, and on PostgreSQL the conflicting racer waits for the row
lock and then re-checks the WHERE against the winner's row, so it fails
instead of overwriting. SQLite serialises writers, so the same statement is
atomic there too. The statement returns the row only when it inserted or
updated it, which is how the caller learns whether it won. A conflict is not an error, so a follower polling every few
seconds leaves no "duplicate key" lines in the PostgreSQL log.

Times come from the injected clock of each process, so hosts need synchronised
clocks (NTP); the leader also stops trusting its lease a margin before the
expiry it wrote (see ``SyncScheduler``).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, Table, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from accountlink_ui.models import SchedulerLease, table_of

LEASES = table_of(SchedulerLease)
_UPSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def new_holder_id() -> str:
    """``host:pid:random``: an operator can tell which process leads; the nonce tells restarts apart."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


class Lease:
    """One named lease, taken, renewed and released on behalf of one holder."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str,
        holder: str,
        seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        if engine.dialect.name not in _UPSERTS:
            raise RuntimeError(
                f"scheduler lease: database {engine.dialect.name!r} is not supported "
                "(use SQLite or PostgreSQL)"
            )
        self._engine = engine
        self._insert = _UPSERTS[engine.dialect.name]
        self.name = name
        self.holder = holder
        self._ttl = timedelta(seconds=seconds)
        self._clock = clock

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, or extend it if we hold it.

        Returns whether we hold it now. Used for renewal as well: a holder whose
        lease expired and was taken over gets False and must stop.
        """
        now = self._clock()
        claim = self._insert(LEASES).values(
            name=self.name, holder=self.holder, expires_at=now + self._ttl
        )
        upsert = claim.on_conflict_do_update(
            index_elements=[LEASES.c.name],
            set_={"holder": claim.excluded.holder, "expires_at": claim.excluded.expires_at},
            where=or_(LEASES.c.holder == self.holder, LEASES.c.expires_at < now),
        ).returning(LEASES.c.holder)
        # RETURNING rather than rowcount: psycopg reports -1 for an upsert's rowcount.
        with self._engine.begin() as connection:
            return connection.execute(upsert).scalar_one_or_none() == self.holder

    def release(self) -> None:
        """Give the lease up at once (no-op if someone else holds it), so a follower need not
        wait for it to expire."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(LEASES).where(LEASES.c.name == self.name, LEASES.c.holder == self.holder)
            )


def current_holder(engine: Engine, name: str, now: datetime) -> str | None:
    """Who holds the named lease at ``now``; an expired row counts as nobody."""
    with engine.connect() as connection:
        return connection.execute(
            select(LEASES.c.holder).where(LEASES.c.name == name, LEASES.c.expires_at > now)
        ).scalar_one_or_none()

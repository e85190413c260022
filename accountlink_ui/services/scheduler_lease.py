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

from sqlalchemy import Engine

from accountlink_ui import scheduling_repository as leases


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
        if not leases.supports_lease_upsert(engine):
            raise RuntimeError(
                f"scheduler lease: database {engine.dialect.name!r} is not supported "
                "(use SQLite or PostgreSQL)"
            )
        self._engine = engine
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
        with self._engine.begin() as connection:
            return leases.claim_lease(
                connection, self.name, self.holder, now=now, expires_at=now + self._ttl
            )

    def release(self) -> None:
        """Give the lease up at once (no-op if someone else holds it), so a follower need not
        wait for it to expire."""
        with self._engine.begin() as connection:
            leases.drop_lease(connection, self.name, self.holder)


def current_holder(engine: Engine, name: str, now: datetime) -> str | None:
    """Who holds the named lease at ``now``; an expired row counts as nobody."""
    with engine.connect() as connection:
        return leases.lease_holder(connection, name, now)

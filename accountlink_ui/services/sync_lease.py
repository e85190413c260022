"""One sync run per integration at a time, across processes, guarded by the database.

A run holds a row ``sync:<integration id>`` in ``scheduler_leases``. Taking it
is an INSERT: the primary key lets exactly one contender win, in any process,
on SQLite and PostgreSQL alike. The holder renews ``expires_at`` after each
batch; a holder that died stops renewing, and once the row has expired the
next run takes it over with ``UPDATE ... WHERE expires_at < now``, which again
only one contender can win.

Why not a database lock held for the run (``SELECT ... FOR UPDATE``, a
PostgreSQL advisory lock): it would pin a connection and an open transaction
for the minutes a run spends waiting on HTTP, SQLite has neither, and nothing
but the holder's own connection could see it, whereas a Sync now pressed in any
process must find the run in flight and be refused politely.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from accountlink_ui.db import session_scope
from accountlink_ui.models import SchedulerLease, as_utc

LEASE_SECONDS = 30 * 60
"""A run that has not renewed its lease for this long is dead. The lease is renewed with
every batch and before every retry, so a live run goes at most one attempt plus one wait
without renewing: an adapter's push deadline (at most 120 s) plus the longest wait a run
accepts (120 s). The wide margin is the fencing: a run is only taken over if its process
stalled for half an hour, which a crash is and a slow target is not."""


def lease_name(integration_id: int) -> str:
    return f"sync:{integration_id}"


def new_holder() -> str:
    """Who holds a lease: host and process for an operator reading the table, plus a nonce."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class RunLease:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        seconds: float = LEASE_SECONDS,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl = timedelta(seconds=seconds)

    def acquire(self, integration_id: int, holder: str) -> bool:
        """True if this holder now runs the integration's sync; False if another live run does."""
        name = lease_name(integration_id)
        now = self._clock()
        try:
            with session_scope(self._engine) as session:
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + self._ttl))
                session.flush()
            return True
        except IntegrityError:
            pass
        with session_scope(self._engine) as session:
            taken = session.execute(
                update(SchedulerLease)
                .where(col(SchedulerLease.name) == name, col(SchedulerLease.expires_at) < now)
                .values(holder=holder, expires_at=now + self._ttl)
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    def renew(self, session: Session, integration_id: int, holder: str) -> bool:
        """Push the expiry out, in the caller's transaction; False if the lease was lost."""
        renewed = session.execute(
            update(SchedulerLease)
            .where(
                col(SchedulerLease.name) == lease_name(integration_id),
                col(SchedulerLease.holder) == holder,
            )
            .values(expires_at=self._clock() + self._ttl)
        )
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, integration_id: int, holder: str) -> None:
        with session_scope(self._engine) as session:
            session.execute(
                delete(SchedulerLease).where(
                    col(SchedulerLease.name) == lease_name(integration_id),
                    col(SchedulerLease.holder) == holder,
                )
            )

    def held(self, integration_id: int) -> bool:
        """Whether a live run holds the integration's lease (an expired one does not count)."""
        with session_scope(self._engine) as session:
            lease = session.get(SchedulerLease, lease_name(integration_id))
            if lease is None:
                return False
            expires_at = as_utc(lease.expires_at)
            return expires_at is not None and expires_at > self._clock()

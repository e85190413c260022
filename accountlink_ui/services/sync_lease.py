"""One sync run per integration at a time, across processes, guarded by the database.

A run holds a row ``sync:<integration id>`` in ``scheduler_leases``. Taking it
is an INSERT: the primary key lets exactly one contender win, in any process,
on SQLite and PostgreSQL alike. The holder renews ``expires_at`` from a
heartbeat thread (:class:`Heartbeat`) every third of the lease while the run
lives, whatever the run is doing (a batch on the wire, a backoff wait), and
again after each batch; a holder that died stops renewing, and once the row has
expired the next run takes it over with ``UPDATE ... WHERE expires_at < now``,
which again only one contender can win. So a run killed mid-batch frees its
integration within one lease (a minute by default), not half an hour.

Why not a database lock held for the run (``SELECT ... FOR UPDATE``, a
PostgreSQL advisory lock): it would pin a connection and an open transaction
for the minutes a run spends waiting on HTTP, SQLite has neither, and nothing
but the holder's own connection could see it, whereas a Sync now pressed in any
process must find the run in flight and be refused politely.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import scheduling_repository as leases
from accountlink_ui.db import session_scope

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
"""A run that has not renewed its lease for this long is dead (``Settings.sync_lease_seconds``
overrides it). A live run's heartbeat renews it every third of that, independently of the
batch on the wire, so only a process that stopped (a crash, a kill, a machine gone) or
stalled for a whole lease loses it. A run that finds its lease lost stops before its next
batch (``sync_export.LEASE_LOST``); the run that took over first asks the target about every
claim left ``sending``, so a claim still arrives once."""


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
        if leases.insert_lease(self._engine, name, holder, now + self._ttl):
            return True
        with session_scope(self._engine) as session:
            return leases.take_expired_lease(
                session, name, holder, now=now, expires_at=now + self._ttl
            )

    def renew(self, session: Session, integration_id: int, holder: str) -> bool:
        """Push the expiry out, in the caller's transaction; False if the lease was lost."""
        return leases.renew_lease(
            session, lease_name(integration_id), holder, self._clock() + self._ttl
        )

    def renew_now(self, integration_id: int, holder: str) -> bool:
        """``renew`` in a transaction of its own (the heartbeat's)."""
        with session_scope(self._engine) as session:
            return self.renew(session, integration_id, holder)

    def expires_at(self, integration_id: int) -> datetime | None:
        """When the integration's lease runs out unless renewed; None when nobody holds it."""
        with session_scope(self._engine) as session:
            return leases.lease_expiry(session, lease_name(integration_id))

    @property
    def seconds(self) -> float:
        return self._ttl.total_seconds()

    def release(self, integration_id: int, holder: str) -> None:
        with session_scope(self._engine) as session:
            leases.release_lease(session, lease_name(integration_id), holder)

    def held(self, integration_id: int) -> bool:
        """Whether a live run holds the integration's lease (an expired one does not count)."""
        with session_scope(self._engine) as session:
            expires_at = leases.lease_expiry(session, lease_name(integration_id))
        return expires_at is not None and expires_at > self._clock()


class Heartbeat:
    """Renews a held lease from its own thread every ``interval`` seconds while the run lives.

    Renewing only between batches would let a long batch (or a backoff wait) outlast a short
    lease; a thread does not care what the run is doing. If a renewal finds the lease taken
    over, ``alive`` turns False for good and the run stops before its next batch. A failed
    renewal (the database briefly unreachable) is tried again at the next beat.
    """

    def __init__(
        self, lease: RunLease, integration_id: int, holder: str, *, interval: float
    ) -> None:
        self._lease = lease
        self._integration_id = integration_id
        self._holder = holder
        self._interval = interval
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"sync-lease-{integration_id}", daemon=True
        )

    @property
    def alive(self) -> bool:
        """False once a renewal found another holder: the run must stop."""
        return not self._lost.is_set()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._lease.renew_now(self._integration_id, self._holder):
                    log.warning(
                        "sync of integration %s lost its lease to another run",
                        self._integration_id,
                    )
                    self._lost.set()
                    return
            except Exception:
                log.warning(
                    "could not renew the sync lease of integration %s; trying again",
                    self._integration_id,
                    exc_info=True,
                )

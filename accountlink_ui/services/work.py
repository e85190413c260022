"""Where connection tests and syncs started by people run: bounded, and fair between organizations.

A connection test or a Sync now waits on someone else's system, for up to 10 s
(a test) or minutes (a sync). Run on a shared default thread pool, a dozen
"Test again" presses against one hanging system filled the pool and another
organization's test queued behind them, blowing its 10-second promise. Here:

- each kind of work has its own pool (tests never wait for syncs, nor for saves,
  which keep the default pool);
- a pool never queues: a task either starts at once or is refused at once
  (:class:`Busy`), because a queue would eat a connection test's deadline;
- each organization has at most ``per_organization`` tasks of a kind in flight,
  so one organization's slow work cannot fill the pool for the others;
- each organization spends a budget of calls per minute
  (:class:`OrganizationRateLimiter`), kept in the database like the API's per-token
  budget, so every backend worker spends from the same one.

The in-flight limits are per process; the rate budget is shared by every process.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine

from accountlink_ui import call_windows_repository as windows
from accountlink_ui.db import session_scope
from accountlink_ui.models import utcnow
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.rate_limits import seconds_until_free
from accountlink_ui.settings import Settings

T = TypeVar("T")

TESTS_BUSY = (
    "{count} connection tests for your organization are already running. Wait for one "
    "to finish (at most 10 seconds), then try again."
)
SYNCS_BUSY = (
    "A sync for your organization is already running. Wait for it to finish, then try again."
)
SERVER_BUSY = (
    "AccountLink is busy with other organizations' {what} right now. Try again in a few seconds."
)
RATE_LIMITED = (
    "Your organization has started {calls} {what} in the last {minutes}. Try again in "
    "{retry_after} s."
)


class Busy(ServiceError):
    """Refused at once: too much of this kind of work is in flight. Nothing was started."""


class RateLimited(ServiceError):
    """Refused at once: the organization spent its budget for this kind of work."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrganizationRateLimiter:
    """A sliding window per organization and action: at most ``calls`` in ``per_seconds``.

    The same scheme as the API's per-token limiter (``services/rate_limits.py``): one row per
    allowed call, rows outside the window deleted by the next call, callers of one
    organization serialized on the organization's row (PostgreSQL) or SQLite's write lock.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        calls: int,
        per_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.calls = calls
        self.per_seconds = per_seconds
        self._clock = clock

    def take(self, organization_id: int, action: str) -> int | None:
        """Count one call; the seconds to wait (and no count) when the budget is spent."""
        now = self._clock()
        window = timedelta(seconds=self.per_seconds)
        with session_scope(self._engine) as session:
            windows.lock_organization(session, organization_id)
            windows.forget_organization_calls(session, organization_id, action, before=now - window)
            recent = windows.organization_call_times(
                session, organization_id, action, limit=self.calls
            )
            wait = seconds_until_free(recent, self.calls, window, now)
            if wait is not None:
                return wait
            windows.add_organization_call(session, organization_id, action, now)
        return None


class OrganizationExecutor:
    """A thread pool that never queues, with at most ``per_organization`` tasks per organization."""

    def __init__(
        self,
        *,
        name: str,
        what: str,
        workers: int,
        per_organization: int,
        busy_message: str,
        limiter: OrganizationRateLimiter | None = None,
    ) -> None:
        self._name = name
        self._what = what
        self._workers = workers
        self.per_organization = per_organization
        self._busy_message = busy_message
        self._limiter = limiter
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._in_flight: Counter[int] = Counter()

    def in_flight(self, organization_id: int | None = None) -> int:
        with self._lock:
            if organization_id is None:
                return sum(self._in_flight.values())
            return self._in_flight[organization_id]

    def submit(
        self, organization_id: int, task: Callable[[], T], *, budget: bool = True
    ) -> Future[T]:
        """Start ``task`` now, or raise :class:`Busy`; the rate budget is checked in the worker,
        so the caller's thread (the event loop) never waits on the database.

        ``budget=False``: the caller spends a budget of its own (the API's, per token).
        """
        with self._lock:
            if self._in_flight[organization_id] >= self.per_organization:
                raise Busy(self._busy_message.format(count=self.per_organization))
            if sum(self._in_flight.values()) >= self._workers:
                raise Busy(SERVER_BUSY.format(what=self._what))
            self._in_flight[organization_id] += 1
        try:
            # The caller's context (its request id) goes with the task to the worker thread.
            context = contextvars.copy_context()
            future = self._pool.submit(
                context.run, self._within_budget, organization_id, task, budget
            )
        except BaseException:
            self._done(organization_id)
            raise
        future.add_done_callback(lambda _: self._done(organization_id))
        return future

    async def run(self, organization_id: int, task: Callable[[], T]) -> T:
        """``submit`` for async callers (Reflex event handlers)."""
        return await asyncio.wrap_future(self.submit(organization_id, task))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _within_budget(self, organization_id: int, task: Callable[[], T], budget: bool) -> T:
        if budget and self._limiter is not None:
            retry_after = self._limiter.take(organization_id, self._name)
            if retry_after is not None:
                minutes = self._limiter.per_seconds / 60
                raise RateLimited(
                    RATE_LIMITED.format(
                        calls=self._limiter.calls,
                        what=self._what,
                        minutes="minute" if minutes == 1 else f"{minutes:g} minutes",
                        retry_after=retry_after,
                    ),
                    retry_after,
                )
        return task()

    def _done(self, organization_id: int) -> None:
        with self._lock:
            self._in_flight[organization_id] -= 1
            if self._in_flight[organization_id] <= 0:
                del self._in_flight[organization_id]


def connection_test_executor(engine: Engine, settings: Settings) -> OrganizationExecutor:
    return OrganizationExecutor(
        name="connection-test",
        what="connection tests",
        workers=settings.connection_test_workers,
        per_organization=settings.connection_tests_per_organization,
        busy_message=TESTS_BUSY,
        limiter=OrganizationRateLimiter(engine, calls=settings.connection_tests_per_minute),
    )


def sync_executor(engine: Engine, settings: Settings) -> OrganizationExecutor:
    return OrganizationExecutor(
        name="sync-now",
        what="syncs",
        workers=settings.sync_workers,
        per_organization=settings.syncs_per_organization,
        busy_message=SYNCS_BUSY,
        limiter=OrganizationRateLimiter(engine, calls=settings.syncs_per_minute),
    )

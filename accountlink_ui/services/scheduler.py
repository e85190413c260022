"""Sync schedules: one APScheduler job per active integration, run by exactly one process.

Every app process starts a ``SyncScheduler``; a lease row elects one leader
(``scheduler_lease``), and only the leader runs an APScheduler
``BackgroundScheduler`` over the job store in the application database
(``scheduler_jobs``). The leader reconciles the store with the integrations
table at start and every few seconds, so the web process never has to call the
scheduler when an admin adds, disables or re-times an integration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from accountlink_ui import claims_repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import utcnow
from accountlink_ui.request_ids import bound, new_request_id
from accountlink_ui.services import metrics
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.scheduler_jobs import (
    JOB_ID_PREFIX,
    JobSpec,
    LeaderJobStore,
    ScheduledJob,
    job_id_for,
    reconcile_jobs,
    scheduled_intervals,
    scheduled_jobs,
)
from accountlink_ui.services.scheduler_lease import Lease, current_holder, new_holder_id

__all__ = [
    "JOB_ID_PREFIX",
    "LEASE_NAME",
    "ScheduledJob",
    "SyncScheduler",
    "current_leader",
    "run_scheduled_sync",
    "scheduled_jobs",
]

log = logging.getLogger(__name__)

LEASE_NAME = "sync-scheduler"
DEFAULT_JOB_TARGET = "accountlink_ui.services.scheduler:run_scheduled_sync"


def run_scheduled_sync(integration_id: int) -> None:
    """What every schedule fires: one sync with the integration's settings as they are now.

    The services are looked up when the job fires, not when it was added, so the
    stored job holds nothing but the integration id. A refusal (a run already in
    progress, the integration disabled meanwhile) is a normal outcome for a
    schedule, not a job failure, so it is logged and not raised.
    """
    # Imported here: wiring builds every service and may one day build the scheduler too.
    from accountlink_ui.services.wiring import get_services

    try:
        with bound(new_request_id()):
            get_services().sync.run(integration_id, trigger="schedule")
    except ServiceError as refusal:
        log.info("scheduled sync of integration %s skipped: %s", integration_id, refusal)


def current_leader(engine: Engine) -> str | None:
    """The process running the schedules (``host:pid:nonce``), or None if no live lease."""
    return current_holder(engine, LEASE_NAME, utcnow())


class SyncScheduler:
    """Competes for the scheduler lease and, while holding it, runs the sync schedules.

    A background thread renews the lease every ``lease_seconds / 3``. The leader
    trusts its lease only until ``lease_seconds - lease_seconds / 6`` after the
    last successful renewal began, so it stops firing before any other process
    can take over; a failed renewal shuts its scheduler down at once.
    ``interval_unit`` is what one of ``sync_interval_minutes`` lasts (tests use
    seconds). ``misfire_grace_seconds=None`` means one interval: a run missed
    while no process led then still fires once when a leader is back.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        holder: str | None = None,
        lease_seconds: float = 30,
        reconcile_seconds: float = 15,
        job_target: str = DEFAULT_JOB_TARGET,
        misfire_grace_seconds: int | None = None,
        clock: Callable[[], datetime] = utcnow,
        interval_unit: timedelta = timedelta(minutes=1),
        max_workers: int = 10,
    ) -> None:
        self.holder = holder or new_holder_id()
        self._engine = engine
        self._lease = Lease(
            engine, name=LEASE_NAME, holder=self.holder, seconds=lease_seconds, clock=clock
        )
        self._renew_seconds = lease_seconds / 3
        self._trust_seconds = lease_seconds - self._renew_seconds / 2
        self._reconcile_seconds = reconcile_seconds
        self._job_target = job_target
        self._misfire_grace_seconds = misfire_grace_seconds
        self._interval_unit = interval_unit
        self._max_workers = max_workers

        self._lock = threading.RLock()
        self._scheduler: BackgroundScheduler | None = None
        self._store: LeaderJobStore | None = None
        self._holding = False
        self._trusted_until = 0.0
        self._next_reconcile = 0.0
        self._closing = False
        self._exit = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Begin competing for the lease; returns at once."""
        if self._thread is not None:
            return
        self._closing = False
        self._exit.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"accountlink-scheduler-lease[{self.holder}]", daemon=True
        )
        self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        """Stop firing, let running syncs finish (``wait``), then release the lease.

        The lease is renewed until the running syncs are done, so no other process
        starts the same schedules meanwhile; the release lets a follower take over
        at its next poll instead of after expiry.
        """
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._closing = True
            scheduler, self._scheduler, self._store = self._scheduler, None, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
        self._exit.set()
        thread.join()
        self._thread = None
        if self._holding:
            try:
                self._lease.release()
            except Exception:
                log.warning("scheduler: could not release the lease; it expires on its own")
            self._holding = False
            log.info("scheduler: %s stopped and released the lease", self.holder)
        metrics.record_scheduler_leadership(False)

    @property
    def is_leader(self) -> bool:
        """True while this process runs the schedules on a lease it still trusts."""
        return self._scheduler is not None and self._lease_trusted()

    # ---- reconciling -------------------------------------------------------------

    def reconcile(self) -> None:
        """Leader only: exactly one job per active (or error) integration; no-op elsewhere."""
        with self._lock:
            scheduler = self._scheduler
            if scheduler is None or not self._lease_trusted():
                return
            specs = {
                integration_id: self._spec(integration_id, minutes)
                for integration_id, minutes in scheduled_intervals(self._engine).items()
            }
            report = reconcile_jobs(scheduler, specs)
            started = self._run_requested_syncs(scheduler)
        if started:
            log.info("scheduler: syncs asked for by the claims intake started for %s", started)
        if report:
            log.info(
                "scheduler: jobs added %s, removed %s, rescheduled %s, updated %s",
                report.added,
                report.removed,
                report.rescheduled,
                report.updated,
            )

    def _run_requested_syncs(self, scheduler: BackgroundScheduler) -> list[int]:
        """Integrations set to send at once whose claims arrived: their job runs now.

        The claims intake only marks the integration (``sync_requested_at``); moving the
        job's next run time here keeps every sync on the scheduler's one-run-per-integration
        path, whichever process received the claims.
        """
        with session_scope(self._engine) as session:
            requested = claims_repository.requested_syncs(session)
        started: list[int] = []
        for integration_id, requested_at in requested:
            job_id = job_id_for(integration_id)
            if scheduler.get_job(job_id) is not None:
                scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
                started.append(integration_id)
            with session_scope(self._engine) as session:
                claims_repository.clear_sync_request(session, integration_id, requested_at)
        return started

    def _spec(self, integration_id: int, minutes: int) -> JobSpec:
        interval = self._interval_unit * max(1, minutes)
        grace = self._misfire_grace_seconds or max(1, int(interval.total_seconds()))
        return JobSpec(integration_id, interval, self._job_target, grace)

    # ---- the lease thread --------------------------------------------------------

    def _run(self) -> None:
        while not self._exit.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("scheduler: lease/reconcile round failed; retrying")
            metrics.record_scheduler_leadership(self.is_leader)
            self._exit.wait(self._seconds_to_next_tick())

    def _tick(self) -> None:
        if self._closing and not self._holding:
            return
        attempt_began = time.monotonic()
        try:
            held = self._lease.acquire()
        except Exception:
            log.warning("scheduler: could not reach the lease row", exc_info=True)
            held = False
        if not held:
            self._holding = False
            self._step_down()
            return
        self._trusted_until = attempt_began + self._trust_seconds
        self._holding = True
        if self._closing:
            return  # draining in stop(): keep the lease, start nothing
        self._lead()
        if time.monotonic() >= self._next_reconcile:
            self._next_reconcile = time.monotonic() + self._reconcile_seconds
            self.reconcile()

    def _lead(self) -> None:
        with self._lock:
            if self._closing:
                return
            if self._scheduler is None:
                self._start_scheduler()
            elif self._store is not None and self._store.fenced:
                self._store.fenced = False
                self._scheduler.wakeup()

    def _start_scheduler(self) -> None:
        """Start paused and reconcile first, so a job whose integration was disabled, deleted
        or re-timed while no process led never fires with its stale settings."""
        store = LeaderJobStore(engine=self._engine, lease_trusted=self._lease_trusted)
        executor = ThreadPoolExecutor(
            self._max_workers,
            pool_kwargs={"thread_name_prefix": f"accountlink-sync[{self.holder}]"},
        )
        scheduler = BackgroundScheduler(
            jobstores={"default": store}, executors={"default": executor}, timezone=UTC
        )
        scheduler.start(paused=True)
        self._scheduler, self._store = scheduler, store
        log.info("scheduler: %s took the lease and runs the sync schedules", self.holder)
        try:
            self.reconcile()
        finally:
            scheduler.resume()
            self._next_reconcile = time.monotonic() + self._reconcile_seconds

    def _step_down(self) -> None:
        with self._lock:
            scheduler, self._scheduler, self._store = self._scheduler, None, None
        if scheduler is not None:
            log.warning("scheduler: %s lost the lease; stopped firing schedules", self.holder)
            scheduler.shutdown(wait=False)

    def _lease_trusted(self) -> bool:
        return self._holding and time.monotonic() < self._trusted_until

    def _seconds_to_next_tick(self) -> float:
        if self._scheduler is None:
            return self._renew_seconds
        return max(0.0, min(self._renew_seconds, self._next_reconcile - time.monotonic()))

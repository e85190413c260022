"""The persisted sync jobs: what each should look like, bringing the store in line, reading it.

APScheduler's SQLAlchemy job store keeps one row per job in ``apscheduler_jobs``
(id, next run as a UTC timestamp, the pickled job). Only the scheduler leader
writes it; pages in every process read it through ``scheduled_jobs`` without
starting a scheduler.

A job holds nothing but the integration id and its interval (DESIGN rule 5): the
job target loads settings and credentials when it fires, so editing them never
gives a reason to touch the job.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from accountlink_ui import integrations_repository, scheduling_repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import IntegrationStatus

log = logging.getLogger(__name__)

JOBS_TABLE = scheduling_repository.JOBS_TABLE
JOB_ID_PREFIX = "sync-integration-"
SCHEDULED_STATUSES = (IntegrationStatus.ACTIVE.value, IntegrationStatus.ERROR.value)
"""Error keeps its job: failing syncs set it, and only a later successful run can clear it."""


def job_id_for(integration_id: int) -> str:
    return f"{JOB_ID_PREFIX}{integration_id}"


def integration_id_of(job_id: str) -> int | None:
    """The integration a job belongs to, or None for a job that is not a sync schedule."""
    suffix = job_id.removeprefix(JOB_ID_PREFIX)
    return int(suffix) if suffix != job_id and suffix.isdigit() else None


@dataclass(frozen=True)
class ScheduledJob:
    """An integration's schedule as pages show it."""

    job_id: str
    integration_id: int
    interval_minutes: int
    next_run_time: datetime | None


@dataclass(frozen=True)
class JobSpec:
    """What one integration's job should be."""

    integration_id: int
    interval: timedelta
    target: str
    misfire_grace_seconds: int

    @property
    def job_id(self) -> str:
        return job_id_for(self.integration_id)

    def trigger(self) -> IntervalTrigger:
        return IntervalTrigger(seconds=self.interval.total_seconds(), timezone=UTC)

    def options(self) -> dict[str, Any]:
        """Everything but the trigger and next run time, which only an interval change resets."""
        return {
            "func": self.target,
            "args": (self.integration_id,),
            "kwargs": {},
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": self.misfire_grace_seconds,
        }

    def matches(self, job: Job) -> bool:
        return (
            job.func_ref == self.target
            and tuple(job.args) == (self.integration_id,)
            and not job.kwargs
            and job.max_instances == 1
            and job.coalesce is True
            and job.misfire_grace_time == self.misfire_grace_seconds
        )


@dataclass
class ReconcileReport:
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    rescheduled: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.rescheduled or self.updated)


def scheduled_intervals(engine: Engine) -> dict[int, int]:
    """Integration id -> chosen interval in minutes, for every integration that should have a job."""
    with session_scope(engine) as session:
        return integrations_repository.sync_intervals(session, SCHEDULED_STATUSES)


def reconcile_jobs(scheduler: BaseScheduler, specs: Mapping[int, JobSpec]) -> ReconcileReport:
    """Make the store hold exactly ``specs``, touching a job only where it differs.

    An existing job whose interval is unchanged keeps its trigger and next run
    time; options that drifted (say a new job target after an upgrade) are
    updated in place, which keeps both.
    """
    report = ReconcileReport()
    existing = {
        integration_id: job
        for job in scheduler.get_jobs()
        if (integration_id := integration_id_of(job.id)) is not None
    }
    for integration_id, job in existing.items():
        if integration_id not in specs:
            try:
                scheduler.remove_job(job.id)
            except JobLookupError:
                continue
            report.removed.append(integration_id)
    for integration_id, spec in specs.items():
        job = existing.get(integration_id)
        if job is None:
            try:
                scheduler.add_job(
                    id=spec.job_id,
                    name=f"sync integration {integration_id}",
                    trigger=spec.trigger(),
                    replace_existing=False,
                    **spec.options(),
                )
            except ConflictingIdError:
                continue
            report.added.append(integration_id)
        elif not _same_interval(job, spec.interval):
            trigger = spec.trigger()
            scheduler.modify_job(
                spec.job_id,
                trigger=trigger,
                next_run_time=trigger.get_next_fire_time(None, datetime.now(UTC)),
                **spec.options(),
            )
            report.rescheduled.append(integration_id)
        elif not spec.matches(job):
            scheduler.modify_job(spec.job_id, **spec.options())
            report.updated.append(integration_id)
    return report


def _same_interval(job: Job, interval: timedelta) -> bool:
    return isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == interval


def scheduled_jobs(
    engine: Engine, integration_ids: Collection[int] | None = None
) -> dict[int, ScheduledJob]:
    """Every sync schedule by integration id (or only those of ``integration_ids``).

    Reads the rows directly instead of through a job store: the store imports
    each job's target and deletes rows it cannot restore, neither of which a
    page should do. An empty dict until a leader has created the table. A page
    names its integrations: it reads (and unpickles) their rows only, not every
    organization's.
    """
    if integration_ids is not None and not integration_ids:
        return {}
    job_ids = None if integration_ids is None else [job_id_for(i) for i in integration_ids]
    rows = scheduling_repository.job_rows(engine, JOB_ID_PREFIX, job_ids)
    jobs: dict[int, ScheduledJob] = {}
    for job_id, job_state in rows:
        integration_id = integration_id_of(job_id)
        state = pickle.loads(job_state)
        trigger = state.get("trigger")
        if integration_id is None or not isinstance(trigger, IntervalTrigger):
            continue
        next_run_time = state.get("next_run_time")
        jobs[integration_id] = ScheduledJob(
            job_id=job_id,
            integration_id=integration_id,
            interval_minutes=round(trigger.interval.total_seconds() / 60),
            next_run_time=next_run_time.astimezone(UTC) if next_run_time else None,
        )
    return jobs


def next_runs(engine: Engine, integration_ids: list[int]) -> dict[int, datetime | None]:
    """Next scheduled sync of each integration (None: not scheduled), from the job table."""
    jobs = scheduled_jobs(engine, integration_ids)
    return {i: jobs[i].next_run_time if i in jobs else None for i in integration_ids}


class LeaderJobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, fenced by the lease and sharing the app's engine.

    ``lease_trusted`` is asked before every look for due jobs: a leader whose
    renewals stalled stops firing on its own, before another process can have
    taken the lease over, and leaves the due jobs in place for the new leader.
    """

    def __init__(self, *, engine: Engine, lease_trusted: Callable[[], bool]) -> None:
        super().__init__(engine=engine, tablename=JOBS_TABLE)
        self._lease_trusted = lease_trusted
        self.fenced = False

    def get_due_jobs(self, now: datetime) -> list[Job]:
        if not self._lease_trusted():
            self.fenced = True
            log.warning("scheduler: lease not confirmed in time; not firing due jobs")
            return []
        due: list[Job] = super().get_due_jobs(now)
        return due

    def get_next_run_time(self) -> datetime | None:
        # None makes the scheduler sleep until woken, instead of spinning on a
        # due job it is not allowed to fire.
        return super().get_next_run_time() if self._lease_trusted() else None

    def shutdown(self) -> None:
        """The engine belongs to the app: disposing it (the base class does) would drop
        connections other threads are using."""

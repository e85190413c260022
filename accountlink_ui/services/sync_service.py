"""Sync service: approved expense claims reach the accounting system exactly once.

A run, whoever starts it (the schedule, Sync now, the API):

1. checks who asks (an admin of the integration's organization, when a person
   asks) and that the integration is enabled;
2. takes the integration's run lease, so one run per integration is in flight
   across every process (see ``sync_lease``);
3. loads the configuration and credentials fresh, so an edit made a moment ago
   is used, and records which credential version it runs with: an edit while
   it runs does not change what it uses;
4. sends the waiting claims in batches (``sync_export`` says how each arrives
   exactly once), retrying transient failures with backoff (``sync_retry``);
5. records the run, updates the integration's figures and status, and writes
   audit events, in one transaction.

After ``FAILURES_BEFORE_ERROR`` failed runs in a row the integration's status
becomes ``error`` with the reason; the next run that reaches the target makes
it ``active`` again.
"""

from __future__ import annotations

import logging
import random as random_module
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.contracts import ConnectionConfig
from accountlink_ui.integrations.registry import AdapterRegistry, get_type
from accountlink_ui.models import (
    ClaimStatus,
    ExpenseClaim,
    IntegrationStatus,
    SyncRun,
    SyncRunOutcome,
    User,
    as_utc,
    utcnow,
)
from accountlink_ui.redaction import scrub
from accountlink_ui.services import events, metrics
from accountlink_ui.services.access import (
    MANAGE_INTEGRATIONS,
    integration_for_admin,
    require_admin,
)
from accountlink_ui.services.errors import NotFound, ServiceError
from accountlink_ui.services.integration_service import IntegrationService
from accountlink_ui.services.sync_export import ExportJob, RunTally
from accountlink_ui.services.sync_lease import Heartbeat, RunLease, new_holder
from accountlink_ui.services.sync_retry import RetryPolicy
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor, ClaimView, SyncRunView

log = logging.getLogger(__name__)

TRIGGERS = ("schedule", "manual", "api")
FAILURES_BEFORE_ERROR = 3


class SyncAlreadyRunning(ServiceError):
    """Sync now (or the schedule) while a run for the same integration is in flight."""


class SyncUnavailable(ServiceError):
    """The integration cannot sync as it stands (disabled)."""


@dataclass(frozen=True)
class SyncProgress:
    sent: int
    failed: int
    total: int
    said: Message
    """What is happening, for the page to render in the reader's language."""

    @property
    def message(self) -> str:
        return english(self.said)


@dataclass(frozen=True)
class _Target:
    integration_id: int
    organization_id: int
    type_key: str
    label: str
    status: str


class SyncService:
    def __init__(
        self,
        *,
        engine: Engine,
        integrations: IntegrationService,
        adapters: AdapterRegistry,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        policy: RetryPolicy | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self._engine = engine
        self._integrations = integrations
        self._adapters = adapters
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._random = random
        self._policy = policy or RetryPolicy()
        self._lease = RunLease(
            engine,
            clock,
            seconds=lease_seconds if lease_seconds is not None else settings.sync_lease_seconds,
        )

    # ---- running -------------------------------------------------------------------

    def run(
        self,
        integration_id: int,
        *,
        trigger: str,
        actor: Actor | None = None,
        progress: Callable[[SyncProgress], None] | None = None,
    ) -> SyncRunView | None:
        """Run one sync now and return its record.

        ``actor`` is the admin who pressed Sync now (required for "manual"), or the API
        token's ``ApiActor``: ``access.integration_for_admin`` checks their organization,
        role and token scope here. ``actor=None`` means no person acts: the scheduled job. A disabled integration is refused with :class:`SyncUnavailable`
        for people and the API; for the schedule it is a quiet no-op returning None.
        :class:`SyncAlreadyRunning` if a run of this integration is in flight anywhere.
        """
        if trigger not in TRIGGERS:
            raise ValueError(f"Unknown sync trigger {trigger!r}; use one of {TRIGGERS}.")
        if trigger == "manual" and actor is None:
            raise ValueError("Sync now needs the acting admin.")
        target = self._target(integration_id, actor)
        if target.status == IntegrationStatus.DISABLED:
            if trigger == "schedule":
                log.info("integration %s is disabled; scheduled sync skipped", integration_id)
                return None
            raise SyncUnavailable(Message.of("sync.disabled", label=target.label))
        if not self._integrations.has_posting_settings(integration_id):
            if trigger == "schedule":
                log.info("integration %s has no posting settings; sync skipped", integration_id)
                return None
            raise SyncUnavailable(Message.of("sync.no_posting", label=target.label))
        holder = new_holder()
        if not self._lease.acquire(integration_id, holder):
            raise SyncAlreadyRunning(self._busy_message(target))
        try:
            beat = self._lease.seconds / 3
            with Heartbeat(self._lease, integration_id, holder, interval=beat) as heartbeat:
                return self._run_holding_lease(target, trigger, actor, progress, holder, heartbeat)
        finally:
            self._lease.release(integration_id, holder)

    def is_running(self, integration_id: int) -> bool:
        return self._lease.held(integration_id)

    # ---- reading -------------------------------------------------------------------

    def recent_runs(
        self, actor: Actor, integration_id: int, *, limit: int = 20
    ) -> list[SyncRunView]:
        with session_scope(self._engine) as session:
            integration_for_admin(session, actor, integration_id, to=MANAGE_INTEGRATIONS)
            rows = integrations_repository.sync_runs_of(session, integration_id, limit=limit)
        return [_run_view(run, name) for run, name in rows]

    def claims(self, actor: Actor, organization_id: int, *, limit: int = 500) -> list[ClaimView]:
        """The organization's claims, newest first, with their export state (read-only)."""
        with session_scope(self._engine) as session:
            # The same admin check every integration page uses (DESIGN rule 7).
            require_admin(session, actor, organization_id, to=MANAGE_INTEGRATIONS)
            rows = claim_queue_repository.claims_of(session, organization_id, limit=limit)
        return [_claim_view(claim, name) for claim, name in rows]

    # ---- one run -------------------------------------------------------------------

    def _run_holding_lease(
        self,
        target: _Target,
        trigger: str,
        actor: Actor | None,
        progress: Callable[[SyncProgress], None] | None,
        holder: str,
        heartbeat: Heartbeat,
    ) -> SyncRunView:
        config, version, problem = self._load_config(target)
        run_id = self._open_run(target, trigger, actor, version)
        tally = RunTally(stopped=problem)
        try:
            if config is not None:
                job = self._job(target, config, run_id, progress, holder, heartbeat)
                tally = job.tally
                job.run()
        except BaseException:
            tally.stopped = tally.stopped or english(Message.of("sync.crashed"))
            try:
                self._close_run(target, run_id, trigger, actor, tally)
            except Exception:
                log.exception("could not record the end of sync run %s", run_id)
            raise
        return self._close_run(target, run_id, trigger, actor, tally)

    def _job(
        self,
        target: _Target,
        config: ConnectionConfig,
        run_id: int,
        progress: Callable[[SyncProgress], None] | None,
        holder: str,
        heartbeat: Heartbeat,
    ) -> ExportJob:
        def report(tally: RunTally, message: Message) -> None:
            if progress is None:
                return
            try:
                progress(SyncProgress(tally.sent, tally.failed, tally.total, message))
            except Exception:  # a closed browser tab must not stop the sync
                log.warning("sync progress callback failed", exc_info=True)

        return ExportJob(
            engine=self._engine,
            adapter=self._adapters.get(target.type_key),
            config=config,
            integration_id=target.integration_id,
            organization_id=target.organization_id,
            run_id=run_id,
            label=target.label,
            batch_size=get_type(target.type_key).batch_size,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            clock=self._clock,
            report=report,
            renew=lambda session: (
                heartbeat.alive and self._lease.renew(session, target.integration_id, holder)
            ),
        )

    def _target(self, integration_id: int, actor: Actor | None) -> _Target:
        with session_scope(self._engine) as session:
            if actor is not None:
                row = integration_for_admin(session, actor, integration_id, to=MANAGE_INTEGRATIONS)
            else:  # the schedule: no person acts, the integration's own job runs
                found = integrations_repository.integration(session, integration_id)
                if found is None:
                    raise NotFound(Message.of("integration.id_not_found", id=str(integration_id)))
                row = found
            return _Target(
                integration_id, row.organization_id, row.type_key, row.display_name, row.status
            )

    def _load_config(
        self, target: _Target
    ) -> tuple[ConnectionConfig | None, int | None, str | None]:
        """The configuration, the credential version it belongs to, or why it could not load."""
        try:
            config, version = self._integrations.connection_config_and_version(
                target.integration_id
            )
            return config, version, None
        except NotFound:
            raise
        except Exception as exc:
            log.exception("could not load the configuration of integration %s", target)
            return (
                None,
                None,
                english(
                    Message.of(
                        "sync.config_unreadable", label=target.label, error=type(exc).__name__
                    )
                ),
            )

    def _open_run(
        self, target: _Target, trigger: str, actor: Actor | None, version: int | None
    ) -> int:
        now = self._clock()
        with session_scope(self._engine) as session:
            # We hold the lease, so any run still marked running died without finishing.
            for dead in integrations_repository.running_sync_runs(session, target.integration_id):
                dead.outcome = SyncRunOutcome.FAILED.value
                dead.finished_at = now
                dead.error_summary = english(Message.of("sync.run_died"))
                session.add(dead)
            run = SyncRun(
                integration_id=target.integration_id,
                organization_id=target.organization_id,
                trigger=trigger,
                actor_id=actor.user_id if actor else None,
                credential_version=version,
                started_at=now,
            )
            session.add(run)
            session.flush()
            assert run.id is not None
            return run.id

    def _close_run(
        self,
        target: _Target,
        run_id: int,
        trigger: str,
        actor: Actor | None,
        tally: RunTally,
    ) -> SyncRunView:
        now = self._clock()
        if tally.stopped:
            outcome, summary = SyncRunOutcome.FAILED, tally.stopped
        elif tally.failed:
            outcome = SyncRunOutcome.PARTIAL
            summary = english(
                Message.of(
                    "sync.claims_refused",
                    detail="; ".join(tally.refusals),
                    label=target.label,
                    count=tally.failed,
                )
            )
        else:
            outcome, summary = SyncRunOutcome.SUCCEEDED, None
        with session_scope(self._engine) as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.finished_at = now
            run.outcome = outcome.value
            run.records_sent = tally.sent
            run.records_failed = tally.failed
            run.error_summary = scrub(summary)[:2000] if summary else None
            session.add(run)
            self._update_integration(session, target, run, actor, tally.stopped_fields)
            integrations_repository.add_audit_event(
                session,
                organization_id=target.organization_id,
                actor_id=actor.user_id if actor else None,
                action="integration.synced",
                integration_id=target.integration_id,
                details={
                    "run_id": run_id,
                    "trigger": trigger,
                    "outcome": outcome.value,
                    "records_sent": tally.sent,
                    "records_failed": tally.failed,
                    "credential_version": run.credential_version,
                    "error": run.error_summary,
                },
            )
            name = actor.name if actor else None
        metrics.record_sync_run(outcome.value, target.type_key, tally.sent)
        return _run_view(run, name)

    def _update_integration(
        self,
        session: Session,
        target: _Target,
        run: SyncRun,
        actor: Actor | None,
        blamed_fields: tuple[str, ...] = (),
    ) -> None:
        row = integrations_repository.integration(session, target.integration_id)
        if row is None:  # deleted while the run was in flight
            return
        before = row.status
        row.total_records_synced += run.records_sent
        if run.outcome == SyncRunOutcome.FAILED:
            row.consecutive_sync_failures += 1
            failures = row.consecutive_sync_failures
            if failures >= FAILURES_BEFORE_ERROR and row.status in (
                IntegrationStatus.ACTIVE,
                IntegrationStatus.ERROR,
            ):
                row.status = IntegrationStatus.ERROR.value
                row.status_detail = english(
                    Message.of("sync.failing", detail=run.error_summary, count=failures)
                )[:1000]
        else:
            row.last_sync_at = run.finished_at
            row.consecutive_sync_failures = 0
            if row.status == IntegrationStatus.ERROR:
                row.status, row.status_detail = IntegrationStatus.ACTIVE.value, None
        session.add(row)
        self._alert(session, target, row.status, before, run, row.auth_flow, blamed_fields)
        if row.status != before:
            integrations_repository.add_audit_event(
                session,
                organization_id=target.organization_id,
                actor_id=actor.user_id if actor else None,
                action="integration.status_changed",
                integration_id=target.integration_id,
                details={
                    "status": {"from": before, "to": row.status},
                    "reason": row.status_detail
                    or f"Sync run {run.id} reached {target.label} again.",
                    "run_id": run.id,
                },
            )

    def _alert(
        self,
        session: Session,
        target: _Target,
        status: str,
        before: str,
        run: SyncRun,
        auth_flow: str,
        blamed_fields: tuple[str, ...],
    ) -> None:
        """Open or close the integration's incident, queuing its webhook and emails here, in
        the run's closing transaction (``services/events``)."""
        at = run.finished_at or self._clock()
        org, integration = target.organization_id, target.integration_id
        if run.outcome != SyncRunOutcome.FAILED:
            events.close_incident(session, org, integration, at)
            return
        reason = run.error_summary or ""
        try:
            secrets = set(get_type(target.type_key).secret_keys(auth_flow))
        except Exception:  # an unknown type or flow: nothing can be blamed on a secret
            secrets = set()
        if secrets & set(blamed_fields):
            events.open_incident(session, org, integration, events.CREDENTIALS_REJECTED, reason, at)
        elif status == IntegrationStatus.ERROR and before != IntegrationStatus.ERROR:
            events.open_incident(session, org, integration, events.INTEGRATION_ERROR, reason, at)

    def _busy_message(self, target: _Target) -> Message:
        """What is true of the run in flight: when and by whom it started, and when its
        integration is free again should it have been interrupted (its lease runs out)."""
        with session_scope(self._engine) as session:
            running = integrations_repository.running_sync_runs(session, target.integration_id)
            run = running[-1] if running else None
            started = as_utc(run.started_at) if run else None
            by = _started_by(session, run)
        expires = self._lease.expires_at(target.integration_id)
        # Times as HH:MM UTC, as the lease keeps them (the reader's zone is the page's to add).
        when = (
            Message.of("sync.started_at", at=f"{started:%H:%M}", by=by)
            if started
            else Message.of("sync.started_now")
        )
        if expires is None:
            return Message.of("sync.busy_finished", label=target.label, when=when)
        free = _next_minute(expires)
        return Message.of("sync.busy", label=target.label, when=when, free=f"{free:%H:%M}")


def _started_by(session: Session, run: SyncRun | None) -> Message:
    """'by Kari', 'by the schedule', 'through the API'."""
    if run is not None and run.actor_id is not None:
        person = session.get(User, run.actor_id)
        if person is not None:
            return Message.of("sync.by_person", name=person.name)
    if run is not None and run.trigger == "api":
        return Message.of("sync.by_api")
    return Message.of("sync.by_schedule")


def _next_minute(moment: datetime) -> datetime:
    """The first whole minute at or after ``moment``: a time said in HH:MM that is never early."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _run_view(run: SyncRun, actor_name: str | None) -> SyncRunView:
    assert run.id is not None
    return SyncRunView(
        id=run.id,
        integration_id=run.integration_id,
        organization_id=run.organization_id,
        trigger=run.trigger,
        outcome=run.outcome,
        started_at=as_utc(run.started_at),
        finished_at=as_utc(run.finished_at),
        records_sent=run.records_sent,
        records_failed=run.records_failed,
        error_summary=run.error_summary,
        credential_version=run.credential_version,
        actor_name=actor_name,
    )


def _claim_view(claim: ExpenseClaim, exported_to: str | None) -> ClaimView:
    assert claim.id is not None
    if claim.status == ClaimStatus.EXPORTED:
        state = "Exported"
    elif claim.status == ClaimStatus.SENDING:
        state = "Awaiting confirmation"
    elif claim.status == ClaimStatus.WITHDRAWN:
        state = "Withdrawn"
    else:
        state = "Refused" if claim.last_error else "Waiting"
    return ClaimView(
        id=claim.id,
        claimant=claim.claimant,
        claim_date=claim.claim_date,
        amount=claim.amount,
        currency=claim.currency,
        description=claim.description,
        account_code=claim.account_code,
        status=claim.status,
        category=claim.category,
        vat_amount=claim.vat_amount,
        cost_centre=claim.cost_centre,
        project=claim.project,
        export_state=state,
        external_reference=claim.external_reference,
        exported_at=as_utc(claim.exported_at),
        exported_to=exported_to
        if claim.status not in (ClaimStatus.APPROVED, ClaimStatus.WITHDRAWN)
        else None,
        last_error=claim.last_error,
    )

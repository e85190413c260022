"""One run's work: send an organization's waiting claims through one adapter, exactly once.

The order of writes is what makes a claim arrive exactly once:

1. Before a batch is sent, its claims are marked ``sending`` for this
   integration and that is committed. A claim found ``sending`` later was
   handed to the target without its answer being recorded (a crash, a lost
   answer, a run that gave up): the target may or may not have it.
2. Before such claims are sent again, the target is asked which of them it
   already holds (``find_existing``: Xledger by ``yourReference``, Business
   Central by ``documentNumber``), and those are marked exported instead.
   The same check runs before every retry after a transient failure, because
   a timeout or a 5xx says nothing about whether the batch (or, for Business
   Central, which lines of it) arrived. Adapters without ``find_existing``
   (generic REST) resend with the same idempotency keys and rely on the
   target to acknowledge repeats, which the sandbox's ledger does.
3. A claim is marked exported only with the reference the target returned,
   committed per batch; a refusal of one claim is stored on it and it is not
   sent again until someone clears it.

A whole-batch failure leaves the batch ``sending``, so the next run starts
by asking the target about it.

The database work of one batch (storing its results, reserving the next
batch, renewing the run's lease: one transaction) runs in a worker thread
while the next batch is on the wire; the worker is joined before that next
batch is sent, so step 1 still holds. Only the calling thread reports progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from accountlink_ui import repository
from accountlink_ui.db import session_scope
from accountlink_ui.integrations.http import scrub
from accountlink_ui.integrations.registry import (
    Adapter,
    ConnectionConfig,
    ExportRecord,
    PermanentError,
    TransientError,
)
from accountlink_ui.models import SyncRun
from accountlink_ui.services.sync_retry import RetryPolicy

log = logging.getLogger(__name__)


class Reconciler(Protocol):
    def __call__(self, config: ConnectionConfig, keys: Sequence[str]) -> Mapping[str, str]: ...


@dataclass
class RunTally:
    """What a run achieved so far; ``stopped`` says why it ended early, for the admin."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    stopped: str | None = None
    refusals: list[str] = field(default_factory=list)
    """The first few per-claim refusal reasons, for the run's error summary."""


LEASE_LOST = (
    "This run went without renewing its claim on the integration for longer than the lease "
    "allows, another run took over, and this one stopped; the other run continues."
)


class RunStopped(Exception):
    """The run cannot go on; the message is written for the admin."""


@dataclass
class _Outcome:
    """What the target said about one batch, not yet stored."""

    accepted: dict[int, str] = field(default_factory=dict)
    """Claim id → the target's reference."""
    refused: dict[int, str] = field(default_factory=dict)
    """Claim id → the target's reason."""


@dataclass
class ExportJob:
    engine: Engine
    adapter: Adapter
    config: ConnectionConfig
    integration_id: int
    organization_id: int
    run_id: int
    label: str
    batch_size: int
    policy: RetryPolicy
    sleep: Callable[[float], None]
    random: Callable[[], float]
    clock: Callable[[], datetime]
    report: Callable[[RunTally, str], None]
    renew: Callable[[Session], bool]
    """Renews the run's lease in the given transaction; False means another run took over."""
    tally: RunTally = field(default_factory=RunTally)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _reported: tuple[int, int] = field(default=(0, 0), init=False, repr=False)

    def run(self) -> RunTally:
        with session_scope(self.engine) as session:
            claims = repository.claims_to_export(session, self.organization_id, self.integration_id)
        self.tally.total = len(claims)
        if not claims:
            self.report(self.tally, f"No approved claims are waiting for {self.label}.")
            return self.tally
        self.report(self.tally, f"Sending {len(claims):,} claims to {self.label}.")
        chunks = [claims[i : i + self.batch_size] for i in range(0, len(claims), self.batch_size)]
        with session_scope(self.engine) as session:
            reserved = self._reserve(session, chunks[0])
        previous = _Outcome()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-store") as worker:
            for index, chunk in enumerate(chunks):
                following = chunks[index + 1] if index + 1 < len(chunks) else None
                # While this batch is on the wire, one transaction stores the previous
                # batch's results, renews the lease and reserves the next batch, so its
                # reservation is committed before it is sent (joined below).
                background = worker.submit(self._settle, previous, following)
                try:
                    previous = self._send(chunk, reserved)
                except RunStopped as stop:
                    self.tally.stopped = str(stop)
                    previous = _Outcome()
                    background.result()
                    break
                reserved, alive = background.result()
                self._progress()
                if not alive:
                    self.tally.stopped = LEASE_LOST
                    break
        with session_scope(self.engine) as session:
            self._store(session, previous)
        self._progress()
        return self.tally

    def _settle(self, outcome: _Outcome, following: Sequence[Any] | None) -> tuple[set[int], bool]:
        """Store ``outcome``; renew the lease and reserve ``following``: (reserved, lease kept)."""
        with session_scope(self.engine) as session:
            self._store(session, outcome)
            if following is None:
                return set(), True
            if not self.renew(session):
                return set(), False
            return self._reserve(session, following), True

    # --- one batch --------------------------------------------------------------------------

    def _reserve(self, session: Session, chunk: Sequence[Any]) -> set[int]:
        return repository.reserve_claims(session, [row.id for row in chunk], self.integration_id)

    def _send(self, chunk: Sequence[Any], reserved: set[int]) -> _Outcome:
        """Push the batch's reserved claims, asking the target first where it may have them."""
        uncertain = {r.idempotency_key for r in chunk if r.status == repository.CLAIM_SENDING}
        pending = {
            row.idempotency_key: _Pending(row.id, _export_record(row))
            for row in chunk
            if row.id in reserved
        }
        to_check = uncertain & pending.keys()
        finder: Reconciler | None = getattr(self.adapter, "find_existing", None)
        attempt = 0
        while pending:
            attempt += 1
            try:
                if to_check and finder is not None:
                    found = finder(self.config, sorted(to_check))
                    known = _Outcome(
                        accepted={
                            pending[k].claim_id: ref for k, ref in found.items() if k in to_check
                        }
                    )
                    with session_scope(self.engine) as session:
                        self._store(session, known)
                    for key in found:
                        pending.pop(key, None)
                    if not pending:
                        return _Outcome()
                result = self.adapter.push(self.config, [p.record for p in pending.values()])
            except TransientError as exc:
                to_check = set(pending)
                self._wait_or_stop(attempt, exc)
                continue
            except PermanentError as exc:
                raise RunStopped(self._words(exc)) from None
            except Exception as exc:  # an adapter bug must not leave the run hanging
                log.exception("sync of integration %s failed unexpectedly", self.integration_id)
                raise RunStopped(
                    f"The sync failed unexpectedly while talking to {self.label} "
                    f"({type(exc).__name__}). The operator can find details in the server log."
                ) from None
            # Anything neither confirmed nor refused stays 'sending' for the next run to check.
            return _Outcome(
                accepted={
                    pending[k].claim_id: ref for k, ref in result.accepted.items() if k in pending
                },
                refused={
                    pending[k].claim_id: self._words(reason)
                    for k, reason in result.failed.items()
                    if k in pending and k not in result.accepted
                },
            )
        return _Outcome()

    def _wait_or_stop(self, attempt: int, exc: TransientError) -> None:
        message = self._words(exc)
        if self.policy.exhausted(attempt):
            raise RunStopped(
                f"{message} Gave up after {attempt} attempts; the next run continues with "
                "the claims not yet confirmed."
            )
        wait = self.policy.delay(attempt, exc.retry_after, self.random)
        if self.policy.too_long(wait):
            raise RunStopped(
                f"{message} The run stopped rather than wait that long; the next run after "
                "that continues with the claims not yet confirmed."
            )
        with session_scope(self.engine) as session:  # a retry must not outlive the lease
            if not self.renew(session):
                raise RunStopped(LEASE_LOST)
        self.report(
            self.tally,
            f"{message} Trying again in {wait:.0f} s "
            f"(attempt {attempt + 1} of {self.policy.max_attempts}).",
        )
        self.sleep(wait)

    def _store(self, session: Session, outcome: _Outcome) -> None:
        """Mark what the target confirmed and refused, and keep the run's counters current."""
        if not outcome.accepted and not outcome.refused:
            return
        repository.mark_claims_exported(
            session, outcome.accepted, self.integration_id, self.clock()
        )
        repository.mark_claims_refused(session, outcome.refused)
        with self._lock:  # the worker and, when reconciling, the sending thread both store
            self.tally.sent += len(outcome.accepted)
            self.tally.failed += len(outcome.refused)
            room = max(0, 3 - len(self.tally.refusals))
            self.tally.refusals.extend(list(outcome.refused.values())[:room])
            sent, failed = self.tally.sent, self.tally.failed
        session.execute(
            update(SyncRun)
            .where(col(SyncRun.id) == self.run_id)
            .values(records_sent=sent, records_failed=failed)
        )

    def _progress(self) -> None:
        if (self.tally.sent, self.tally.failed) == self._reported:
            return
        self._reported = (self.tally.sent, self.tally.failed)
        self.report(
            self.tally,
            f"Sent {self.tally.sent:,} of {self.tally.total:,} claims to {self.label}"
            + (f"; {self.tally.failed:,} refused." if self.tally.failed else "."),
        )

    def _words(self, error: Exception | str) -> str:
        """An adapter's message, with any secret of this configuration blanked out."""
        return scrub(str(error), self.config.secrets.values())


@dataclass(frozen=True)
class _Pending:
    claim_id: int
    record: ExportRecord


def _export_record(row: Any) -> ExportRecord:
    """A row of ``repository.claims_to_export`` as the adapters take it."""
    return ExportRecord(
        idempotency_key=row.idempotency_key,
        posted_date=row.claim_date,
        amount=row.amount,
        currency=row.currency,
        account_code=row.account_code,
        description=row.description,
        claimant=row.claimant,
    )

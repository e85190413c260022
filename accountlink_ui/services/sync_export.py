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

Claims become vouchers as their batch is reserved (``accounting.vouchers.build_voucher``,
the function the preview calls too); a claim that cannot (no employee number where one is needed, VAT
larger than the amount) is refused with the reason, like a claim the target refuses.

A whole-batch failure leaves the batch ``sending``, so the next run starts
by asking the target about it, unless the adapter knows nothing of it was
stored (``PermanentError.nothing_sent``: authorization or scope refused, the
journal missing): then its claims wait again, untouched. After those, a run takes as many waiting claims
as waited when it began, oldest first, a batch at a time; claims approved
meanwhile wait for the next run, so the count it reports stays true.

The database work between two batches (storing the last batch's results,
renewing the run's lease, reading and reserving the next batch in one
statement: one transaction) runs in a worker thread while the current batch is
on the wire; the worker is joined before the next batch is sent, so step 1
still holds. The calling thread only pushes, so a run costs little more than
the calls it makes (``bench/sync_throughput.py``). Only the calling thread
reports progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import ExportRecord, Voucher, VoucherError, build_voucher
from accountlink_ui.db import session_scope
from accountlink_ui.integrations.contracts import (
    Adapter,
    ConnectionConfig,
    PermanentError,
    TransientError,
)
from accountlink_ui.integrations.http import scrub_config
from accountlink_ui.services import events
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
    stopped_fields: tuple[str, ...] = ()
    """The configuration fields the error that stopped the run blames (a refused secret
    means the credentials were rejected)."""


LEASE_LOST = (
    "This run went without renewing its claim on the integration for longer than the lease "
    "allows, another run took over, and this one stopped; the other run continues."
)


class RunStopped(Exception):
    """The run cannot go on; the message is written for the admin. ``release``: claims of
    the batch in hand that the target never stored, to wait again."""

    def __init__(
        self, message: str, release: Sequence[int] = (), fields: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.release = list(release)
        self.fields = tuple(fields)


@dataclass
class _Outcome:
    """What the target said about one batch, not yet stored."""

    accepted: dict[int, str] = field(default_factory=dict)
    """Claim id → the target's reference."""
    refused: dict[int, str] = field(default_factory=dict)
    """Claim id → the target's reason."""
    released: list[int] = field(default_factory=list)
    """Claims to wait again: their batch provably never reached the target."""


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
        posting = self.config.posting
        if posting is None:  # the service refuses such runs; nothing is reserved if one slips by
            self.tally.stopped = (
                f"Posting is not set up for {self.label}: choose the accounts under the "
                "integration's Posting settings, then sync again. No claim was sent."
            )
            return self.tally
        with session_scope(self.engine) as session:
            unconfirmed = claim_queue_repository.unconfirmed_claims(
                session, self.organization_id, self.integration_id
            )
            waiting = claim_queue_repository.waiting_claims_count(session, self.organization_id)
        self.tally.total = len(unconfirmed) + waiting
        if not self.tally.total:
            self.report(self.tally, f"No approved claims are waiting for {self.label}.")
            return self.tally
        self.report(self.tally, f"Sending {self.tally.total:,} claims to {self.label}.")
        batches = _Batches(self, posting, unconfirmed, waiting)
        with session_scope(self.engine) as session:
            batch = batches.take(session)
        previous = _Outcome()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-store") as worker:
            while batch is not None:
                # While this batch is on the wire, one transaction stores the previous
                # batch's results, renews the lease and reserves the next batch, so its
                # reservation is committed before it is sent (joined below).
                background = worker.submit(self._settle, previous, batches)
                try:
                    previous = self._send(batch)
                except RunStopped as stop:
                    self.tally.stopped = str(stop)
                    self.tally.stopped_fields = stop.fields
                    unsent, _ = background.result()
                    release = list(stop.release)
                    # The batch reserved meanwhile was never sent: it waits again too, unless
                    # an earlier run may have delivered it (then the next run asks first).
                    if unsent is not None and not unsent.uncertain:
                        release.extend(unsent.claim_ids.values())
                    previous = _Outcome(released=release)
                    break
                batch, alive = background.result()
                self._progress()
                if not alive:
                    self.tally.stopped = LEASE_LOST
                    break
        with session_scope(self.engine) as session:
            self._store(session, previous)
        self._progress()
        return self.tally

    def _settle(self, outcome: _Outcome, batches: _Batches) -> tuple[_Batch | None, bool]:
        """Store ``outcome``; renew the lease and reserve the next batch: (it, lease kept)."""
        with session_scope(self.engine) as session:
            self._store(session, outcome)
            if not self.renew(session):
                return None, False
            return batches.take(session), True

    # --- one batch --------------------------------------------------------------------------

    def _send(self, batch: _Batch) -> _Outcome:
        """Push the batch, asking the target first where it may already have it."""
        ids = batch.claim_ids
        unbookable = batch.unbookable
        pending = {voucher.key: voucher for voucher in batch.vouchers}
        if not pending:
            return _Outcome(refused=unbookable)
        to_check = set(pending) if batch.uncertain else set()
        finder: Reconciler | None = getattr(self.adapter, "find_existing", None)
        attempt = 0
        while pending:
            attempt += 1
            try:
                if to_check and finder is not None:
                    found = finder(self.config, sorted(to_check))
                    known = _Outcome(
                        accepted={ids[k]: ref for k, ref in found.items() if k in to_check}
                    )
                    with session_scope(self.engine) as session:
                        self._store(session, known)
                    for key in found:
                        pending.pop(key, None)
                    if not pending:
                        return _Outcome(refused=unbookable)
                result = self.adapter.push(self.config, list(pending.values()))
            except TransientError as exc:
                to_check = set(pending)
                self._wait_or_stop(attempt, exc)
                continue
            except PermanentError as exc:
                release = [ids[key] for key in pending] if exc.nothing_sent else []
                raise RunStopped(self._words(exc), release, exc.fields) from None
            except Exception as exc:  # an adapter bug must not leave the run hanging
                log.exception("sync of integration %s failed unexpectedly", self.integration_id)
                raise RunStopped(
                    f"The sync failed unexpectedly while talking to {self.label} "
                    f"({type(exc).__name__}). The operator can find details in the server log."
                ) from None
            # Anything neither confirmed nor refused stays 'sending' for the next run to check.
            return _Outcome(
                accepted={ids[k]: ref for k, ref in result.accepted.items() if k in pending},
                refused={
                    **unbookable,
                    **{
                        ids[k]: self._words(reason)
                        for k, reason in result.failed.items()
                        if k in pending and k not in result.accepted
                    },
                },
            )
        return _Outcome(refused=unbookable)

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
        claim_queue_repository.release_claims(session, outcome.released)
        if not outcome.accepted and not outcome.refused:
            return
        claim_queue_repository.mark_claims_exported(
            session, outcome.accepted, self.integration_id, self.clock()
        )
        claim_queue_repository.mark_claims_refused(session, outcome.refused)
        # Their webhooks, in the same transaction (DESIGN rule 12).
        events.claims_settled(
            session,
            self.organization_id,
            self.integration_id,
            outcome.accepted,
            outcome.refused,
            self.clock(),
        )
        with self._lock:  # the worker and, when reconciling, the sending thread both store
            self.tally.sent += len(outcome.accepted)
            self.tally.failed += len(outcome.refused)
            room = max(0, 3 - len(self.tally.refusals))
            self.tally.refusals.extend(list(outcome.refused.values())[:room])
            sent, failed = self.tally.sent, self.tally.failed
        integrations_repository.count_sync_run(session, self.run_id, sent=sent, failed=failed)

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
        return scrub_config(str(error), self.config)


@dataclass(frozen=True)
class _Batch:
    """Claims reserved for one push, oldest first, as vouchers the adapters take.

    Built in the worker thread with the reservation, so making the vouchers costs nothing
    while the previous batch is on the wire."""

    vouchers: list[Voucher]
    unbookable: dict[int, str]
    """Claim id → why it cannot become a voucher (refused like a claim the target refuses)."""
    claim_ids: dict[str, int]
    """Idempotency key → claim id."""
    uncertain: bool
    """Left ``sending`` by an earlier run: the target may have them already."""

    @classmethod
    def of(cls, rows: Sequence[Any], posting: PostingSettings, *, uncertain: bool) -> _Batch:
        """From rows of the repository's export queries, an ExportRecord's fields in order.
        Unpacked by position: by name costs several times as much."""
        vouchers: list[Voucher] = []
        unbookable: dict[int, str] = {}
        claim_ids: dict[str, int] = {}
        for row in rows:
            record = row if isinstance(row, ExportRecord) else ExportRecord(*row)
            claim_ids[record.idempotency_key] = record.claim_id
            try:
                vouchers.append(build_voucher(record, posting))
            except VoucherError as exc:
                unbookable[record.claim_id] = str(exc)
        return cls(vouchers, unbookable, claim_ids, uncertain)


class _Batches:
    """Where a run's batches come from: first what earlier runs left unconfirmed, then the
    waiting claims, reserved a batch at a time (in the worker, one batch ahead)."""

    def __init__(
        self, job: ExportJob, posting: PostingSettings, unconfirmed: Sequence[Any], waiting: int
    ) -> None:
        self._job = job
        self._posting = posting
        self._unconfirmed = list(unconfirmed)
        self._waiting = waiting
        """How many waiting claims the run still takes: as many as waited when it began."""

    def take(self, session: Session) -> _Batch | None:
        """Reserve the next batch in ``session``; None when nothing is left."""
        job = self._job
        while self._unconfirmed:
            rows = self._unconfirmed[: job.batch_size]
            del self._unconfirmed[: job.batch_size]
            reserved = claim_queue_repository.reserve_claims(
                session, [row.id for row in rows], job.integration_id
            )
            rows = [row for row in rows if row.id in reserved]
            if rows:
                return _Batch.of(rows, self._posting, uncertain=True)
        if self._waiting <= 0:
            return None
        rows = claim_queue_repository.reserve_waiting_claims(
            session,
            job.organization_id,
            job.integration_id,
            limit=min(job.batch_size, self._waiting),
        )
        self._waiting -= len(rows)
        return _Batch.of(rows, self._posting, uncertain=False) if rows else None

"""Faults mid-run: after the runs complete, every claim is in the target exactly once.

Request numbers: a batch of 500 two-line Xledger vouchers is two calls (at most 500 lines a
call), so ``after=2`` hits batch 2; a batch of 100 Business Central vouchers is one
``$batch`` request and a REST batch one POST (the company and journal ids come with the posting settings).

"Exactly once" is read from what the target saw: for Xledger and Business
Central every arrival (``received``, duplicates included) must be distinct,
because both are protected by asking the target before sending again. The
generic REST API relies on the target's idempotency keys instead, so there a
repeat may arrive but must not be stored twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from accountlink_ui.accounting.vouchers import Voucher
from accountlink_ui.integrations.contracts import ConnectionConfig, PushResult
from accountlink_ui.integrations.dynamics import document_number
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import ClaimStatus
from tests.support.sync_world import LOST_ANSWER_DELAY, SyncWorld

SYSTEM = {"xledger": "xledger", "dynamics": "business_central", "generic_rest": "rest"}


def arrivals(world: SyncWorld, type_key: str, *, stored: bool = False) -> list[str]:
    """The idempotency keys (or what the target keeps of them) of every voucher that arrived:
    Xledger's by the counter line each voucher has once (the only negative line), Business
    Central's by the key's digest in ``externalDocumentNumber`` (one line per voucher)."""
    system = SYSTEM[type_key]
    items = world.state.stored(system) if stored else world.state.received(system)
    if type_key == "xledger":
        items = [item for item in items if str(item["amount"]).startswith("-")]
    field = {"xledger": "yourReference", "dynamics": "externalDocumentNumber"}.get(
        type_key, "idempotency_key"
    )
    return [str(item[field]) for item in items]


def assert_exactly_once(world: SyncWorld, type_key: str, keys: Sequence[str]) -> None:
    expected = [document_number(k) if type_key == "dynamics" else k for k in keys]
    seen = arrivals(world, type_key, stored=type_key == "generic_rest")
    repeats = [key for key, count in Counter(seen).items() if count > 1]
    assert not repeats, f"{len(repeats)} claims arrived twice, e.g. {repeats[:3]}"
    assert sorted(seen) == sorted(expected), "every claim arrived"
    rows = world.claim_rows()
    assert [r.idempotency_key for r in rows if r.status != ClaimStatus.EXPORTED] == []


@pytest.mark.parametrize("type_key", ["xledger", "dynamics", "generic_rest"])
def test_a_lost_answer_after_the_target_stored_a_batch_sends_nothing_twice(
    world: SyncWorld, type_key: str
) -> None:
    integration_id = world.connect(type_key)
    keys = world.claims(700 if type_key != "dynamics" else 300)
    # The first request of batch 2.
    world.state.set_fault(
        SYSTEM[type_key],
        "lost_answer",
        after=2 if type_key == "xledger" else 1,
        times=1,
        seconds=LOST_ANSWER_DELAY,
    )

    run = world.run(integration_id)

    lost = [e for e in world.state.request_log(SYSTEM[type_key]) if e["fault"] == "lost_answer"]
    assert [e["method"] for e in lost] == ["POST"], "the answer of one POST really was lost"
    assert (run.outcome, run.records_sent) == ("succeeded", len(keys))
    assert len(world.waits) == 1
    assert_exactly_once(world, type_key, keys)
    if type_key == "generic_rest":  # the repeat reached the API and was acknowledged, not kept
        assert len(world.state.received("rest")) == len(keys) + 200  # batch 2, once more


@pytest.mark.parametrize("type_key", ["xledger", "dynamics", "generic_rest"])
def test_http_500_on_the_second_batch_is_retried_with_backoff(
    world: SyncWorld, type_key: str
) -> None:
    integration_id = world.connect(type_key)
    keys = world.claims(700 if type_key != "dynamics" else 300)
    # The first request of batch 2.
    world.state.set_fault(
        SYSTEM[type_key], "http_500", after=2 if type_key == "xledger" else 1, times=1
    )

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", len(keys))
    assert world.waits == [0.75], "first backoff: between 0.5 and 1 s (jitter fixed at 0.5)"
    assert_exactly_once(world, type_key, keys)


def test_a_target_down_for_good_fails_the_run_and_the_next_run_finishes_the_job(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(1_200)
    world.state.set_fault("xledger", "http_500", after=2)

    failed = world.run(integration_id)

    assert (failed.outcome, failed.records_sent) == ("failed", 500)
    assert "Gave up after 5 attempts" in (failed.error_summary or "")
    assert len(world.waits) == 4
    assert world.waits == sorted(world.waits), "the waits grow"
    statuses = Counter(row.status for row in world.claim_rows())
    # Batch 2 is unconfirmed; batch 3, reserved while batch 2 was on the wire but never sent,
    # waits again.
    assert statuses == {"exported": 500, "sending": 500, "approved": 200}
    assert world.integration(integration_id).consecutive_sync_failures == 1

    world.state.clear_faults()
    done = world.run(integration_id)

    assert (done.outcome, done.records_sent) == ("succeeded", 700)
    assert_exactly_once(world, "xledger", keys)
    row = world.integration(integration_id)
    assert (row.total_records_synced, row.consecutive_sync_failures) == (1_200, 0)


@pytest.mark.parametrize("type_key", ["xledger", "dynamics", "generic_rest"])
def test_429_retry_after_is_honoured(world: SyncWorld, type_key: str) -> None:
    integration_id = world.connect(type_key)
    keys = world.claims(700 if type_key != "dynamics" else 150)
    world.state.set_fault(
        SYSTEM[type_key],
        "rate_limit",
        after=2 if type_key == "xledger" else 1,
        times=1,
        seconds=7,
    )

    run = world.run(integration_id)

    assert run.outcome == "succeeded"
    assert len(world.waits) == 1 and 7 <= world.waits[0] <= 7.7, world.waits
    assert any("Trying again in" in p.message for p in world.progress)
    assert_exactly_once(world, type_key, keys)


def test_xledger_burst_limit_waits_five_seconds_and_goes_on(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(1_200)
    world.state.set_fault("xledger", "burst_limit", after=2, times=2)

    run = world.run(integration_id)

    assert run.outcome == "succeeded"
    assert len(world.waits) == 2 and all(5 <= wait <= 5.5 for wait in world.waits)
    assert_exactly_once(world, "xledger", keys)


def test_insufficient_credits_stops_the_run_until_reset_instead_of_waiting(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(1_200)
    world.state.set_fault("xledger", "insufficient_credits", after=2, seconds=3_600)

    stopped = world.run(integration_id)

    assert (stopped.outcome, stopped.records_sent) == ("failed", 500)
    assert "no API credits left" in (stopped.error_summary or "")
    assert "Credits reset at" in (stopped.error_summary or "")
    assert world.waits == [], "nobody waits an hour inside a run"

    world.state.clear_faults()
    done = world.run(integration_id)

    assert done.records_sent == 700
    assert_exactly_once(world, "xledger", keys)


class Crash(BaseException):
    """The process dies: not an error the service could handle."""


class CrashAfterPush:
    """The real adapter, except that the process dies after the target took batch ``at``."""

    def __init__(self, inner: object, at: int) -> None:
        self._inner = inner
        self.type_key = inner.type_key  # type: ignore[attr-defined]
        self._at = at
        self._pushes = 0
        if hasattr(inner, "find_existing"):
            self.find_existing = inner.find_existing  # type: ignore[attr-defined]

    def test_connection(self, config: ConnectionConfig, deadline: object) -> object:
        return self._inner.test_connection(config, deadline)  # type: ignore[attr-defined]

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        result: PushResult = self._inner.push(config, vouchers)  # type: ignore[attr-defined]
        self._pushes += 1
        if self._pushes == self._at:
            raise Crash()
        return result


@pytest.mark.parametrize("type_key", ["xledger", "dynamics", "generic_rest"])
def test_a_crash_between_sending_and_confirming_leaves_no_duplicate(
    world: SyncWorld, type_key: str
) -> None:
    integration_id = world.connect(type_key)
    keys = world.claims(1_200 if type_key != "dynamics" else 250)
    crashing = AdapterRegistry([CrashAfterPush(world.registry.get(type_key), at=2)])
    with pytest.raises(Crash):
        world.new_sync_service(adapters=crashing).run(integration_id, trigger="schedule")
    sending = [row for row in world.claim_rows() if row.status == "sending"]
    # The batch in flight, and the next one, reserved while it was on the wire.
    assert len(sending) == (700 if type_key != "dynamics" else 150)

    run = world.run(integration_id)

    assert run.outcome == "succeeded"
    assert_exactly_once(world, type_key, keys)
    runs = world.sync.recent_runs(world.bf_admin, integration_id)
    assert [r.outcome for r in runs] == ["succeeded", "failed"]

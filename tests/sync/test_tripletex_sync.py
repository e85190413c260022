"""Claims synced to Tripletex (the sandbox over HTTP): each one a balanced voucher, once."""

from __future__ import annotations

from collections import Counter

from accountlink_ui.models import ClaimStatus
from accountlink_ui.sandbox.ledger import ledger
from accountlink_ui.sandbox.tripletex import expire_sessions
from tests.support.sync_world import LOST_ANSWER_DELAY, SyncWorld


def external_numbers(world: SyncWorld) -> list[str]:
    return [v["externalVoucherNumber"] for v in world.state.stored("tripletex")]


def assert_each_once(world: SyncWorld, keys: list[str]) -> None:
    seen = external_numbers(world)
    repeats = [key for key, count in Counter(seen).items() if count > 1]
    assert not repeats, f"{len(repeats)} claims arrived twice, e.g. {repeats[:3]}"
    assert sorted(seen) == sorted(keys), "every claim arrived"
    assert [r.idempotency_key for r in world.claim_rows() if r.status != ClaimStatus.EXPORTED] == []
    book = ledger(world.state, "tripletex")
    assert book["total"] == "0.00", "every voucher balanced"
    assert book["vouchers"] == len(keys)


def test_1200_claims_arrive_as_balanced_vouchers_each_once(world: SyncWorld) -> None:
    integration_id = world.connect("tripletex")
    keys = world.claims(1200)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", 1200)
    assert_each_once(world, keys)
    stored = world.state.stored("tripletex")
    assert all(
        sum(float(p["amountGross"]) for p in v["postings"]) == 0
        and [p["row"] for p in v["postings"]] == [1, 2]
        for v in stored
    )
    views = world.sync.claims(world.bf_admin, world.bf_org)
    assert {v.exported_to for v in views} == {"Tripletex"}
    sessions = [e for e in world.state.request_log("tripletex") if e["path"].endswith(":create")]
    assert len(sessions) == 1, "one session serves the whole run"


def test_a_lost_answer_is_looked_up_before_anything_is_sent_again(world: SyncWorld) -> None:
    integration_id = world.connect("tripletex")
    keys = world.claims(150)
    # Batch 1: the account lookup, then 100 vouchers; the answer to voucher 31 is lost.
    world.state.set_fault("tripletex", "lost_answer", after=31, times=1, seconds=LOST_ANSWER_DELAY)

    run = world.run(integration_id)

    lost = [e for e in world.state.request_log("tripletex") if e["fault"] == "lost_answer"]
    assert [(e["method"], e["path"].rsplit("/", 2)[-1]) for e in lost] == [("POST", "voucher")]
    lookups = [
        e for e in world.state.request_log("tripletex") if "externalVoucherNumber" in e["path"]
    ]
    assert lookups, "the uncertain vouchers were looked up by their external number"
    assert (run.outcome, run.records_sent) == ("succeeded", len(keys))
    assert_each_once(world, keys)


def test_a_session_that_expires_mid_run_is_renewed(world: SyncWorld) -> None:
    integration_id = world.connect("tripletex")
    keys = world.claims(5)
    world.run(integration_id)
    expire_sessions(world.state)
    more = world.claims(5)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", 5)
    assert_each_once(world, keys + more)

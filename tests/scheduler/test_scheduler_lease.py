"""The scheduler lease: one holder at a time, on SQLite and PostgreSQL, even when racing."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from accountlink_ui.services.scheduler import LEASE_NAME, current_leader
from accountlink_ui.services.scheduler_lease import Lease, current_holder, new_holder_id
from tests.support.clock import FakeClock


def lease(engine: Engine, holder: str, clock: FakeClock, seconds: float = 30) -> Lease:
    return Lease(engine, name=LEASE_NAME, holder=holder, seconds=seconds, clock=clock)


def test_first_claimant_holds_the_lease_until_it_expires(engine: Engine) -> None:
    clock = FakeClock()
    first, second = lease(engine, "host-a:1:aa", clock), lease(engine, "host-b:2:bb", clock)
    assert first.acquire()
    assert not second.acquire()
    clock.advance(29)
    assert not second.acquire()
    assert current_holder(engine, LEASE_NAME, clock()) == "host-a:1:aa"
    clock.advance(2)
    assert current_holder(engine, LEASE_NAME, clock()) is None
    assert second.acquire()
    assert current_holder(engine, LEASE_NAME, clock()) == "host-b:2:bb"


def test_renewing_keeps_the_lease_and_a_taken_over_holder_cannot_renew(engine: Engine) -> None:
    clock = FakeClock()
    first, second = lease(engine, "a", clock), lease(engine, "b", clock)
    assert first.acquire()
    for _ in range(5):
        clock.advance(20)
        assert first.acquire(), "renewal within the lease must succeed"
        assert not second.acquire()
    clock.advance(31)
    assert second.acquire()
    assert not first.acquire(), "the old holder must learn it lost the lease"


def test_release_frees_the_lease_at_once_but_only_for_its_holder(engine: Engine) -> None:
    clock = FakeClock()
    first, second = lease(engine, "a", clock), lease(engine, "b", clock)
    assert first.acquire()
    second.release()
    assert not second.acquire()
    first.release()
    assert current_holder(engine, LEASE_NAME, clock()) is None
    assert second.acquire()


def test_racing_claimants_elect_exactly_one(engine: Engine) -> None:
    """Eight threads (their own connections) claim at the same instant, for a missing
    row and then for an expired one, several rounds over."""
    clock = FakeClock()
    contenders = [lease(engine, f"racer-{n}", clock) for n in range(8)]
    for _round in range(4):
        start = threading.Barrier(len(contenders))
        won: list[str] = []

        def claim(contender: Lease, start: threading.Barrier = start, won: list = won) -> None:
            start.wait()
            if contender.acquire():
                won.append(contender.holder)

        threads = [threading.Thread(target=claim, args=(c,)) for c in contenders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1, won
        assert current_holder(engine, LEASE_NAME, clock()) == won[0]
        clock.advance(31)


def test_holder_ids_name_host_and_process_and_differ_per_instance() -> None:
    import os

    one, other = new_holder_id(), new_holder_id()
    assert one != other
    assert one.split(":")[1] == str(os.getpid())


def test_current_leader_is_none_without_a_live_lease(engine: Engine) -> None:
    assert current_leader(engine) is None

"""Several app processes, one scheduler: only the leader fires, and a follower takes over.

Schedules here run every second (a 15-minute interval with ``interval_unit`` of
1/15 s) and each fire takes 0.2 s, so a second leader would show up as a fire
overlapping another or following it far too soon.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from accountlink_ui.services.scheduler import SyncScheduler, current_leader
from tests.support.clock import wait_for
from tests.support.scheduler import MakeScheduler, insert_integration
from tests.support.scheduler_targets import Fire, read_fires

ROOT = Path(__file__).resolve().parents[2]
EVERY_SECOND = timedelta(seconds=1 / 15)


def assert_each_fire_ran_once(fires: list[Fire], *, interval: float = 1.0) -> None:
    """Per integration: no two runs overlap (two leaders would fire the same due run at
    about the same instant), and a leader does not fire far sooner than the interval.

    A new leader may begin with the run its predecessor missed and then the next
    one on the cadence, so the gap after a leader's first run is not checked.
    """
    by_integration: dict[int, list[Fire]] = {}
    for fire in fires:
        by_integration.setdefault(fire.integration_id, []).append(fire)
    for runs in by_integration.values():
        for n, (earlier, later) in enumerate(itertools.pairwise(runs)):
            assert later.started >= earlier.finished, f"overlapping runs: {earlier} {later}"
            catching_up = n == 0 or runs[n - 1].holder != earlier.holder
            if later.holder == earlier.holder and not catching_up:
                assert later.started - earlier.started > 0.6 * interval, f"fired twice: {later}"


def test_two_schedulers_in_one_database_elect_one_leader_and_hand_over(
    engine: Engine, fires: Engine, schedulers: MakeScheduler
) -> None:
    integrations = {insert_integration(engine), insert_integration(engine)}
    one, other = schedulers(interval_unit=EVERY_SECOND), schedulers(interval_unit=EVERY_SECOND)
    one.start()
    other.start()
    wait_for(lambda: one.is_leader or other.is_leader, what="a leader")
    leader, follower = (one, other) if one.is_leader else (other, one)
    wait_for(lambda: len(read_fires(fires)) >= 4, what="fires under the first leader")
    assert not follower.is_leader
    assert current_leader(engine) == leader.holder

    leader.stop()
    handed_over = len(read_fires(fires))
    wait_for(lambda: follower.is_leader, timeout=2, what="the follower to take over")
    wait_for(lambda: len(read_fires(fires)) >= handed_over + 4, what="fires under the new leader")

    runs = read_fires(fires)
    assert {fire.integration_id for fire in runs} == integrations
    assert all(fire.ran_for(leader.holder) for fire in runs[:handed_over])
    assert all(fire.ran_for(follower.holder) for fire in runs[handed_over:])
    assert_each_fire_ran_once(runs)


def test_a_leader_that_can_no_longer_renew_stops_firing(
    engine: Engine, fires: Engine, schedulers: MakeScheduler
) -> None:
    """A stalled leader (here: its lease taken from under it) steps down by itself."""
    insert_integration(engine)
    leader = schedulers(interval_unit=EVERY_SECOND)
    leader.start()
    wait_for(lambda: leader.is_leader, what="leadership")
    usurper = schedulers(interval_unit=EVERY_SECOND, holder="usurper")
    with engine.begin() as connection:  # the lease expired while the leader was stalled
        connection.exec_driver_sql("UPDATE scheduler_leases SET holder = 'usurper'")
    usurper.start()
    wait_for(lambda: not leader.is_leader, timeout=2, what="the old leader to step down")
    wait_for(lambda: usurper.is_leader, timeout=2, what="the usurper to lead")
    wait_for(lambda: read_fires(fires), what="a fire")
    assert not leader.is_leader
    assert all(fire.ran_for("usurper") for fire in read_fires(fires))


@pytest.fixture
def app_processes(fires: Engine, database_url: str) -> Iterator[list[subprocess.Popen[str]]]:
    """Two stand-in app processes on one database, stopped (or killed) afterwards."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.scheduler.scheduler_process", database_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    yield processes
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_app_processes_run_one_scheduler_and_the_survivor_takes_over(
    engine: Engine, fires: Engine, app_processes: list[subprocess.Popen[str]]
) -> None:
    insert_integration(engine)
    insert_integration(engine)
    holders = [process.stdout.readline().strip() for process in app_processes]  # type: ignore[union-attr]
    wait_for(lambda: current_leader(engine) in holders, timeout=10, what="a leader process")
    leader = holders.index(current_leader(engine) or "")
    wait_for(lambda: len(read_fires(fires)) >= 4, what="fires under the first leader")
    assert current_leader(engine) == holders[leader], "leadership must not flap"

    app_processes[leader].kill()  # a crash: no release, the lease has to expire
    app_processes[leader].wait()
    crashed_at = time.monotonic()
    survivor = holders[1 - leader]
    wait_for(lambda: current_leader(engine) == survivor, timeout=4, what="the survivor to lead")
    assert time.monotonic() - crashed_at > 0.5, "took over before the crashed lease expired"
    before = len(read_fires(fires))
    wait_for(lambda: len(read_fires(fires)) >= before + 4, what="fires under the survivor")

    runs = read_fires(fires)
    assert {fire.holder for fire in runs} == set(holders)
    assert_each_fire_ran_once(runs)


def test_stopping_a_scheduler_that_never_led_changes_nothing(engine: Engine) -> None:
    never = SyncScheduler(engine=engine)
    never.stop()
    assert current_leader(engine) is None

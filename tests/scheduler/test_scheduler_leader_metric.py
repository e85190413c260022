"""The scheduler leadership gauge says 1 while this process leads and 0 once it stopped."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import Engine

from tests.support.clock import wait_for
from tests.support.scheduler import MakeScheduler


def leader_gauge() -> float:
    return REGISTRY.get_sample_value("accountlink_scheduler_leader") or 0.0


def test_leadership_gauge_follows_the_lease(engine: Engine, schedulers: MakeScheduler) -> None:
    scheduler = schedulers()
    scheduler.start()
    wait_for(lambda: scheduler.is_leader, what="the scheduler to lead")
    wait_for(lambda: leader_gauge() == 1, what="the gauge to say it leads")
    scheduler.stop()
    assert leader_gauge() == 0

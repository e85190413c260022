"""Schedules live in the database: a restart keeps them, and a missed run fires once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from accountlink_ui.models import Integration
from accountlink_ui.services.scheduler import current_leader, scheduled_jobs
from tests.support.clock import wait_for
from tests.support.scheduler import MakeScheduler, insert_integration, job_row, set_next_run_time
from tests.support.scheduler_targets import read_fires


def test_restart_keeps_the_job_and_its_next_run_time(
    engine: Engine, schedulers: MakeScheduler
) -> None:
    integration = insert_integration(engine)
    first = schedulers()
    first.start()
    wait_for(lambda: integration in scheduled_jobs(engine), what="the first reconcile")
    stored = job_row(engine, integration)
    next_run_time = scheduled_jobs(engine)[integration].next_run_time

    first.stop()
    assert current_leader(engine) is None, "a clean stop releases the lease at once"
    second = schedulers()
    second.start()
    wait_for(lambda: second.is_leader, what="the new process to lead")
    second.reconcile()

    assert scheduled_jobs(engine)[integration].next_run_time == next_run_time
    assert job_row(engine, integration) == stored
    assert current_leader(engine) == second.holder


def test_a_run_missed_while_stopped_fires_once_not_once_per_missed_interval(
    engine: Engine, fires: Engine, schedulers: MakeScheduler
) -> None:
    integration = insert_integration(engine)  # every 15 minutes
    # A grace time long enough for every missed run, so coalescing alone keeps it to one
    # (the default, one interval, would also drop the three oldest as misfires).
    first = schedulers(misfire_grace_seconds=3600)
    first.start()
    wait_for(lambda: integration in scheduled_jobs(engine), what="the first reconcile")
    first.stop()
    # Down for almost an hour: the runs due 52.5, 37.5, 22.5 and 7.5 minutes ago were missed.
    set_next_run_time(engine, integration, datetime.now(UTC) - timedelta(minutes=52.5))

    second = schedulers(misfire_grace_seconds=3600)
    second.start()
    wait_for(lambda: read_fires(fires), what="the missed run")
    # Stopping waits for every run already submitted: a second, wrong, fire for the same
    # missed runs would be among them (and a later one is ruled out by the cadence below).
    second.stop()

    assert len(read_fires(fires)) == 1
    assert read_fires(fires)[0].ran_for(second.holder)
    job = scheduled_jobs(engine)[integration]
    assert job.next_run_time is not None
    assert job.next_run_time > datetime.now(UTC) + timedelta(minutes=7), "back on its cadence"


def test_a_job_disabled_while_no_process_led_is_removed_before_it_can_fire(
    engine: Engine, fires: Engine, schedulers: MakeScheduler
) -> None:
    integration = insert_integration(engine)
    first = schedulers()
    first.start()
    wait_for(lambda: integration in scheduled_jobs(engine), what="the first reconcile")
    first.stop()
    set_next_run_time(engine, integration, datetime.now(UTC) - timedelta(minutes=1))
    with engine.begin() as connection:
        connection.execute(
            update(Integration).where(Integration.id == integration).values(status="disabled")
        )

    second = schedulers()
    second.start()
    wait_for(lambda: scheduled_jobs(engine) == {}, what="the new leader to remove the job")
    second.stop()  # waits for anything that did fire meanwhile to finish and be recorded

    assert read_fires(fires) == []

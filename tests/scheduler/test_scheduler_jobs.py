"""One job per active integration, and nothing but an interval change ever moves it (rule 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, update

from accountlink_ui.demo_drafts import save_demo_posting
from accountlink_ui.models import Integration
from accountlink_ui.services import wiring
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.scheduler import (
    DEFAULT_JOB_TARGET,
    JOB_ID_PREFIX,
    current_leader,
    run_scheduled_sync,
    scheduled_jobs,
)
from tests.support.clock import wait_for
from tests.support.scheduler import MakeScheduler, job_row, job_state, wait_for_reconcile_round
from tests.support.scripted_world import World, dynamics_draft, xledger_draft


def leading(make: MakeScheduler) -> object:
    """A started scheduler that has taken the lease and done its first reconcile."""
    scheduler = make(job_target=DEFAULT_JOB_TARGET)
    scheduler.start()
    wait_for(lambda: scheduler.is_leader, what="leadership")
    scheduler.reconcile()
    return scheduler


def test_each_active_integration_gets_one_job_keyed_by_its_id(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    dynamics = world.save_integration(dynamics_draft())
    world.services.integrations.set_sync_interval(world.bf_admin, dynamics, 60)
    other_org = world.save_integration(xledger_draft(), world.hlf_org)
    before = datetime.now(UTC)
    scheduler = leading(schedulers)

    jobs = scheduled_jobs(engine)
    assert set(jobs) == {xledger, dynamics, other_org}
    assert jobs[xledger].job_id == f"{JOB_ID_PREFIX}{xledger}"
    assert jobs[xledger].interval_minutes == 15, "the default interval"
    assert jobs[dynamics].interval_minutes == 60, "the interval the admin chose"
    for job in jobs.values():
        expected = before + timedelta(minutes=job.interval_minutes)
        assert job.next_run_time is not None
        assert abs((job.next_run_time - expected).total_seconds()) < 10
    state = job_state(engine, xledger)
    assert state["func"] == DEFAULT_JOB_TARGET
    assert state["args"] == (xledger,)
    assert state["max_instances"] == 1
    assert state["coalesce"] is True
    assert state["misfire_grace_time"] == 15 * 60
    assert current_leader(engine) == scheduler.holder


def test_editing_credentials_and_endpoint_leaves_the_job_untouched(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    dynamics = world.save_integration(dynamics_draft())
    scheduler = leading(schedulers)
    rows_before = {xledger: job_row(engine, xledger), dynamics: job_row(engine, dynamics)}
    jobs_before = scheduled_jobs(engine)

    world.xledger.good_secret = "xl-rotated-token-ZZZ999999"
    world.edit(xledger, xledger_draft("xl-rotated-token-ZZZ999999", environment="production"))
    world.dynamics.good_secret = "dyn~rotated~secret~0000"
    world.edit(dynamics, dynamics_draft("dyn~rotated~secret~0000", bc_environment="production"))
    scheduler.reconcile()
    wait_for_reconcile_round(scheduler)  # and one the background thread started itself

    assert {i: job_row(engine, i) for i in rows_before} == rows_before, "byte for byte"
    assert scheduled_jobs(engine) == jobs_before
    config = world.services.integrations.connection_config(xledger)
    assert config.secrets["api_token"] == "xl-rotated-token-ZZZ999999", "the job will use it"


def test_editing_posting_settings_leaves_the_job_untouched(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    postings = world.services.postings
    save_demo_posting(postings, world.bf_admin, xledger)
    scheduler = leading(schedulers)
    row_before, jobs_before = job_row(engine, xledger), scheduled_jobs(engine)

    version = save_demo_posting(
        postings, world.bf_admin, xledger, default_expense_account="6800", vat_registered="yes"
    )
    scheduler.reconcile()
    wait_for_reconcile_round(scheduler)  # and one the background thread started itself

    assert version == 2
    assert job_row(engine, xledger) == row_before, "id, trigger and next run time, byte for byte"
    assert scheduled_jobs(engine) == jobs_before
    config = world.services.integrations.connection_config(xledger)
    assert config.posting is not None and config.posting.default_expense_account == "6800"


def test_changing_the_interval_reschedules_only_that_job(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    dynamics = world.save_integration(dynamics_draft())
    scheduler = leading(schedulers)
    untouched = job_row(engine, dynamics)

    world.services.integrations.set_sync_interval(world.bf_admin, xledger, 240)
    changed_at = datetime.now(UTC)
    scheduler.reconcile()

    job = scheduled_jobs(engine)[xledger]
    assert job.interval_minutes == 240
    assert job.next_run_time is not None
    assert abs((job.next_run_time - changed_at - timedelta(hours=4)).total_seconds()) < 10
    assert job_state(engine, xledger)["misfire_grace_time"] == 240 * 60
    assert job_row(engine, dynamics) == untouched


def test_disabling_removes_the_job_and_enabling_adds_it_back(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    scheduler = leading(schedulers)
    service = world.services.integrations

    service.set_enabled(world.bf_admin, xledger, False)
    scheduler.reconcile()
    assert scheduled_jobs(engine) == {}

    service.set_enabled(world.bf_admin, xledger, True)
    scheduler.reconcile()
    assert set(scheduled_jobs(engine)) == {xledger}


def test_an_integration_in_error_keeps_its_job_and_a_deleted_one_loses_it(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    xledger = world.save_integration(xledger_draft())
    scheduler = leading(schedulers)
    before = job_row(engine, xledger)
    with engine.begin() as connection:  # what failing syncs do
        connection.execute(
            update(Integration).where(Integration.id == xledger).values(status="error")
        )
    scheduler.reconcile()
    assert job_row(engine, xledger) == before, "an error integration must be able to recover"

    world.services.integrations.delete_integration(world.bf_admin, xledger)
    scheduler.reconcile()
    assert scheduled_jobs(engine) == {}


def test_a_new_integration_gets_its_job_without_anyone_calling_the_scheduler(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    leading(schedulers)
    xledger = world.save_integration(xledger_draft())
    wait_for(lambda: xledger in scheduled_jobs(engine), timeout=3, what="the periodic reconcile")


def test_only_the_leader_reconciles(
    world: World, engine: Engine, schedulers: MakeScheduler
) -> None:
    world.save_integration(xledger_draft())
    follower = schedulers()
    follower.reconcile()  # never started: holds no lease
    assert not follower.is_leader
    assert scheduled_jobs(engine) == {}, "readable before any leader created the table"


def test_run_scheduled_sync_runs_the_sync_service_and_logs_refusals(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[int, str]] = []

    def run(integration_id: int, *, trigger: str) -> None:
        calls.append((integration_id, trigger))
        if integration_id == 2:
            raise ServiceError("A sync of this integration is already running.")

    monkeypatch.setattr(
        wiring, "get_services", lambda: SimpleNamespace(sync=SimpleNamespace(run=run))
    )
    caplog.set_level("INFO")
    run_scheduled_sync(1)
    run_scheduled_sync(2)
    assert calls == [(1, "schedule"), (2, "schedule")]
    assert "already running" in caplog.text

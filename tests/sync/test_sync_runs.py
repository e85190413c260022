"""Runs as the admin and the operator see them: records, status, guard, tenancy, credentials."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlmodel import select

from accountlink_ui import integrations_repository
from accountlink_ui.accounting.vouchers import ExportRecord
from accountlink_ui.db import engine_for, session_scope
from accountlink_ui.integrations.contracts import ConnectionConfig, PushResult
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import AuditEvent, SchedulerLease, SyncRun
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.errors import NotFound, PermissionDenied
from accountlink_ui.services.sync_lease import lease_name
from accountlink_ui.services.sync_service import SyncAlreadyRunning, SyncUnavailable
from tests.support.drafts import xledger_draft
from tests.support.secrets import assert_no_secret
from tests.support.sync_world import SyncWorld

ROTATED_TOKEN = "xl-demo-rotated-Pq81Zt5Wm"
TOO_LONG_ACCOUNT = "7140-REISE-IKKE-OPPGAVEPLIKTIG"  # Business Central allows 20 characters


def audit(world: SyncWorld, action: str) -> list[AuditEvent]:
    with session_scope(world.services.engine) as session:
        events = integrations_repository.audit_events(session, world.bf_org)
    return [event for event in events if event.action == action]


def sync_runs(world: SyncWorld) -> list[SyncRun]:
    with session_scope(world.services.engine) as session:
        return list(session.exec(select(SyncRun).order_by(SyncRun.id)).all())


class Gate:
    """The real adapter, but the first push waits until the test opens the gate."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.type_key = inner.type_key  # type: ignore[attr-defined]
        self.find_existing = inner.find_existing  # type: ignore[attr-defined]
        self.entered = threading.Event()
        self.opened = threading.Event()

    def test_connection(self, config: ConnectionConfig, deadline: object) -> object:
        return self._inner.test_connection(config, deadline)  # type: ignore[attr-defined]

    def push(self, config: ConnectionConfig, records: Sequence[ExportRecord]) -> PushResult:
        if not self.entered.is_set():
            self.entered.set()
            assert self.opened.wait(20), "the test never opened the gate"
        return self._inner.push(config, records)  # type: ignore[attr-defined]


@contextmanager
def run_held_at_first_push(world: SyncWorld, integration_id: int) -> Iterator[None]:
    """A scheduled run in another thread, held while its first batch is on the wire; the
    body runs then, and the run goes on (and is waited for) when it ends."""
    gate = Gate(world.registry.get("xledger"))
    service = world.new_sync_service(adapters=AdapterRegistry([gate]))
    thread = threading.Thread(
        target=service.run, args=(integration_id,), kwargs={"trigger": "schedule"}
    )
    thread.start()
    assert gate.entered.wait(20)
    try:
        yield
    finally:
        gate.opened.set()
        thread.join(30)


def wait_for_sending(world: SyncWorld, count: int, timeout: float = 20.0) -> bool:
    """Wait until ``count`` claims are reserved (``sending``): the run's worker has committed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(row.status == "sending" for row in world.claim_rows()) == count:
            return True
        time.sleep(0.02)
    return False


# --- what a run records ----------------------------------------------------------------------


def test_a_run_is_recorded_with_who_what_and_when_and_audited(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(12)

    run = world.run(integration_id, trigger="manual", actor=world.bf_admin)

    assert (run.trigger, run.actor_name, run.outcome) == ("manual", "Kari Nordmann", "succeeded")
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert world.sync.recent_runs(world.bf_admin, integration_id) == [run]
    [event] = audit(world, "integration.synced")
    assert event.actor_id == world.bf_admin.user_id
    assert event.details["records_sent"] == 12
    assert event.details["credential_version"] == 1
    assert_no_secret(repr(event.details))
    assert [p.sent for p in world.progress] == [0, 12]


def test_a_claim_the_target_refuses_is_recorded_on_it_and_not_sent_again(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("dynamics")
    good = world.claims(3)
    bad = world.claims(2, account_code=TOO_LONG_ACCOUNT, seed=7)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent, run.records_failed) == ("partial", 3, 2)
    assert "refused 2 claim(s)" in (run.error_summary or "")
    refused = {row.idempotency_key: row for row in world.claim_rows() if row.last_error}
    assert set(refused) == set(bad)
    assert all("20" in (row.last_error or "") for row in refused.values())
    assert all(row.status == "approved" for row in refused.values())
    views = {
        view.external_reference: view for view in world.sync.claims(world.bf_admin, world.bf_org)
    }
    assert {v.export_state for v in views.values()} == {"Exported", "Refused"}
    assert len(world.state.stored("business_central")) == len(good)

    def posts() -> int:
        return sum(e["method"] == "POST" for e in world.state.request_log("business_central"))

    before = posts()
    again = world.run(integration_id)

    assert (again.outcome, again.records_sent, again.records_failed) == ("succeeded", 0, 0)
    assert posts() == before, "the refused claims were not posted a second time"
    assert world.integration(integration_id).status == "active"


def test_a_revoked_token_ends_the_run_at_once_with_the_reason(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(5)
    world.state.credentials.revoke_xledger_token(demo.XLEDGER_DEMO_TOKEN)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("failed", 0)
    assert "did not recognise the API token" in (run.error_summary or "")
    assert world.waits == [], "a permanent failure is not retried"


def test_three_failed_runs_make_the_integration_error_and_a_success_makes_it_active(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(5)
    world.state.set_fault("xledger", "http_500")

    for expected_status in ("active", "active", "error"):
        assert world.run(integration_id).outcome == "failed"
        assert world.integration(integration_id).status == expected_status
    row = world.integration(integration_id)
    assert row.consecutive_sync_failures == 3
    assert "The last 3 syncs failed" in (row.status_detail or "")
    assert "server error" in (row.status_detail or "")
    [to_error] = audit(world, "integration.status_changed")
    assert to_error.details["status"] == {"from": "active", "to": "error"}

    world.state.clear_faults()
    run = world.run(integration_id)

    assert run.outcome == "succeeded" and run.records_sent == 5
    row = world.integration(integration_id)
    assert (row.status, row.status_detail, row.consecutive_sync_failures) == ("active", None, 0)
    back = audit(world, "integration.status_changed")[0]
    assert back.details["status"] == {"from": "error", "to": "active"}
    assert len(audit(world, "integration.synced")) == 4


# --- one run at a time ---------------------------------------------------------------------------


def test_a_second_run_while_one_is_in_flight_is_refused_in_any_process(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(600)
    with run_held_at_first_push(world, integration_id):
        assert world.sync.is_running(integration_id)
        with pytest.raises(
            SyncAlreadyRunning,
            match=r"is running \(started \d\d:\d\d UTC by the schedule\)\. If it was interrupted, "
            r"you can start a new one after \d\d:\d\d UTC\.",
        ):
            world.sync.run(integration_id, trigger="manual", actor=world.bf_admin)
        # Another process: its own engine (connection pool) on the same database.
        other_engine = engine_for.__wrapped__(world.settings.resolved_database_url)
        other = world.new_sync_service(engine=other_engine)
        with pytest.raises(SyncAlreadyRunning, match="A sync of Xledger is running"):
            other.run(integration_id, trigger="schedule")
        assert other.is_running(integration_id)
        other_engine.dispose()
    assert not world.sync.is_running(integration_id)
    assert [run.outcome for run in sync_runs(world)] == ["succeeded"], "the refusals left no run"
    assert world.run(integration_id).outcome == "succeeded"


def test_a_run_whose_process_died_is_taken_over_once_its_lease_expires(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(5)
    now = world.clock()
    with session_scope(world.services.engine) as session:
        session.add(
            SchedulerLease(
                name=lease_name(integration_id),
                holder="host:4242:dead",
                expires_at=now + timedelta(minutes=30),
            )
        )
        session.add(
            SyncRun(
                integration_id=integration_id,
                organization_id=world.bf_org,
                trigger="schedule",
                started_at=now,
            )
        )
    with pytest.raises(SyncAlreadyRunning):
        world.run(integration_id)

    world.clock.offset_seconds = 31 * 60
    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", 5)
    dead = sync_runs(world)[0]
    assert dead.outcome == "failed"
    assert "stopped without finishing" in (dead.error_summary or "")
    assert not world.sync.is_running(integration_id)


# --- who may run and read ------------------------------------------------------------------------


def test_another_organizations_admin_can_neither_run_nor_read(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(3)
    world.run(integration_id)

    with pytest.raises(NotFound):
        world.sync.run(integration_id, trigger="manual", actor=world.hlf_admin)
    with pytest.raises(NotFound):
        world.sync.recent_runs(world.hlf_admin, integration_id)
    with pytest.raises(NotFound):
        world.sync.claims(world.hlf_admin, world.bf_org)
    with pytest.raises(PermissionDenied):
        world.sync.run(integration_id, trigger="manual", actor=world.bf_member)
    with pytest.raises(PermissionDenied):
        world.sync.claims(world.bf_member, world.bf_org)
    assert len(sync_runs(world)) == 1
    assert world.sync.claims(world.hlf_admin, world.hlf_org) == []


def test_a_disabled_integration_is_refused_by_hand_and_skipped_by_the_schedule(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(3)
    world.services.integrations.set_enabled(world.bf_admin, integration_id, False)

    with pytest.raises(SyncUnavailable, match="disabled"):
        world.sync.run(integration_id, trigger="manual", actor=world.bf_admin)
    assert world.sync.run(integration_id, trigger="schedule") is None
    assert sync_runs(world) == []
    assert world.state.request_log("xledger") == []


def test_the_api_trigger_runs_without_a_person(world: SyncWorld) -> None:
    integration_id = world.connect("generic_rest")
    world.claims(3)

    run = world.run(integration_id, trigger="api")

    assert (run.trigger, run.actor_name, run.records_sent) == ("api", None, 3)


# --- credentials are read when a run starts -------------------------------------------------------


def edit_token(world: SyncWorld, integration_id: int, token: str) -> None:
    integrations = world.services.integrations
    draft = xledger_draft(token)
    outcome = integrations.test_connection(
        world.bf_admin, world.bf_org, draft, integration_id=integration_id
    )
    assert outcome.result.ok, outcome.result.message
    integrations.update_integration(world.bf_admin, integration_id, draft, outcome.proof)


def push_tokens(world: SyncWorld) -> list[str]:
    return [
        str(entry["credential"])
        for entry in world.state.request_log("xledger")
        if entry["method"] == "POST" and entry["status"] == 200
    ]


def test_the_run_after_a_credential_edit_uses_the_new_token(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.state.credentials.register_xledger_token(ROTATED_TOKEN)
    edit_token(world, integration_id, ROTATED_TOKEN)
    world.state.credentials.revoke_xledger_token(demo.XLEDGER_DEMO_TOKEN)
    world.claims(3)
    before = len(world.state.request_log("xledger"))

    run = world.run(integration_id)

    assert (run.outcome, run.credential_version) == ("succeeded", 2)
    assert push_tokens(world)[-1] == ROTATED_TOKEN
    assert len(world.state.request_log("xledger")) == before + 1


def test_an_edit_during_a_run_changes_nothing_for_that_run_and_applies_to_the_next(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.state.credentials.register_xledger_token(ROTATED_TOKEN)
    world.claims(600)
    with run_held_at_first_push(world, integration_id):
        edit_token(world, integration_id, ROTATED_TOKEN)
    [first] = sync_runs(world)
    assert (first.outcome, first.records_sent, first.credential_version) == ("succeeded", 600, 1)
    # The edit's connection test (new token) went out while the run's first push waited;
    # the run's three calls (500 two-line vouchers take two) kept the token it began with.
    assert push_tokens(world) == [ROTATED_TOKEN] + [demo.XLEDGER_DEMO_TOKEN] * 3

    world.claims(1, seed=3)
    second = world.run(integration_id)

    assert second.credential_version == 2
    assert push_tokens(world)[-1] == ROTATED_TOKEN


def test_a_run_sends_the_claims_that_waited_when_it_began_and_leaves_later_ones(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(600)
    with run_held_at_first_push(
        world, integration_id
    ):  # approved while the first batch is on the wire
        late = world.claims(5, first_date=date(2026, 1, 5), seed=11)

    [run] = sync_runs(world)
    assert (run.outcome, run.records_sent) == ("succeeded", 600)
    waiting = {row.idempotency_key for row in world.claim_rows() if row.status == "approved"}
    assert waiting == set(late), "the next run takes them"
    assert world.run(integration_id).records_sent == 5


def test_a_run_that_lost_its_lease_stops_before_the_next_batch(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(1_200)
    with run_held_at_first_push(
        world, integration_id
    ):  # another process takes the lease over while batch 1 is on the wire
        # ...but only after the run renewed its lease and reserved batch 2 alongside it.
        assert wait_for_sending(world, 1_000), "batch 2 was never reserved"
        with session_scope(world.services.engine) as session:
            lease = session.get(SchedulerLease, lease_name(integration_id))
            assert lease is not None
            lease.holder = "other-host:99:takeover"
            session.add(lease)

    [run] = sync_runs(world)
    assert run.outcome == "failed"
    assert "another run took over" in (run.error_summary or "")
    # Batch 2 was cleared to go before the takeover; batch 3 never left.
    statuses = Counter(row.status for row in world.claim_rows())
    assert statuses == {"exported": 1_000, "approved": 200}

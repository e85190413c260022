"""The demo controls: only in demo mode, only for admins; faults, claims and reset do what
the panel says."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.demo_claims import make_claims
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.demo_controls import (
    CLAIMS_PER_ADD,
    FAULT_OFF,
    DemoControls,
    DemoOnly,
    demo_controls_enabled,
)
from accountlink_ui.services.errors import InvalidConfig, PermissionDenied
from accountlink_ui.settings import Settings
from tests.support.scripted_world import World, xledger_draft

DEMO = Settings(demo=True, mount_sandbox=True)


def controls(world: World, settings: Settings, sandbox: SandboxState) -> DemoControls:
    return DemoControls(
        engine=world.services.engine,
        settings=settings,
        integrations=world.services.integrations,
        sandbox=lambda: sandbox,
    )


def waiting(world: World) -> int:
    with session_scope(world.services.engine) as session:
        return claim_queue_repository.waiting_claims_count(session, world.bf_org)


def test_every_control_is_refused_outside_demo_mode_and_to_members(world: World) -> None:
    sandbox = SandboxState()
    production_like = Settings(demo=False, mount_sandbox=False)
    assert not demo_controls_enabled(production_like)
    assert not demo_controls_enabled(Settings(demo=True, mount_sandbox=False))
    outside_demo = controls(world, production_like, sandbox)
    admin, org = world.bf_admin, world.bf_org
    for call in (
        lambda: outside_demo.status(admin, org),
        lambda: outside_demo.switch_fault(admin, org, "xledger", "http_500"),
        lambda: outside_demo.add_claims(admin, org),
        lambda: outside_demo.reset(admin, org),
    ):
        with pytest.raises(DemoOnly, match="only in demo mode"):
            call()
    with pytest.raises(PermissionDenied, match="Only organization admins"):
        controls(world, DEMO, sandbox).switch_fault(world.bf_member, org, "xledger", "http_500")
    assert sandbox.faults() == {}
    assert waiting(world) == 0


def test_a_switched_fault_is_armed_until_switched_off_and_bad_input_is_named(
    world: World,
) -> None:
    sandbox = SandboxState()
    panel = controls(world, DEMO, sandbox)
    for system, mode, field in (
        ("xledger", "expired_secret", "mode"),
        ("ledger", "http_500", "system"),
        ("rest", "", "mode"),
    ):
        with pytest.raises(InvalidConfig) as refused:
            panel.switch_fault(world.bf_admin, world.bf_org, system, mode)
        assert set(refused.value.errors) == {field}
    assert sandbox.faults() == {}
    panel.switch_fault(world.bf_admin, world.bf_org, "entra", "expired_secret")
    status = panel.status(world.bf_admin, world.bf_org)
    assert {row.system: row.armed for row in status.systems}["entra"] == "expired_secret"
    assert sandbox.faults()["entra"]["times"] is None
    panel.switch_fault(world.bf_admin, world.bf_org, "entra", FAULT_OFF)
    assert sandbox.faults() == {}


def test_added_claims_wait_and_reset_removes_integrations_returns_claims_and_empties_the_sandbox(
    world: World,
) -> None:
    sandbox = SandboxState()
    panel = controls(world, DEMO, sandbox)
    assert panel.add_claims(world.bf_admin, world.bf_org) == CLAIMS_PER_ADD
    assert panel.status(world.bf_admin, world.bf_org).waiting_claims == CLAIMS_PER_ADD
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    service.create_integration(world.bf_admin, world.bf_org, xledger_draft(), outcome.proof)
    make_claims(world.services.engine, world.hlf_org, 2)
    with world.services.engine.begin() as connection:
        connection.execute(
            text("UPDATE expense_claims SET status = 'exported', external_reference = 'X-1'")
        )
    sandbox.set_fault("xledger", "http_500")
    sandbox.record("xledger", [{"id": 1}], [{"id": 1}])

    done = panel.reset(world.bf_admin, world.bf_org)

    assert (done.integrations_removed, done.claims_returned) == (1, CLAIMS_PER_ADD)
    with session_scope(world.services.engine) as session:
        assert list(integrations_repository.integrations_of(session, world.bf_org)) == []
        assert claim_queue_repository.waiting_claims_count(session, world.bf_org) == CLAIMS_PER_ADD
        # Another organization's claims are not this admin's to reset.
        assert claim_queue_repository.waiting_claims_count(session, world.hlf_org) == 0
    assert sandbox.faults() == {}
    assert sandbox.stored("xledger") == []

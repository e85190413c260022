"""The Integration Configuration Service, against real databases and the real vault."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from accountlink_ui.integrations.registry import integration_types
from accountlink_ui.models import AuditEvent, CredentialVersion, Integration
from accountlink_ui.services.errors import (
    AlreadyConfigured,
    InvalidConfig,
    NotFound,
    PermissionDenied,
    RetestRequired,
)
from tests.support.scripted_world import (
    DYNAMICS_SECRET,
    XLEDGER_TOKEN,
    World,
    dynamics_draft,
    xledger_draft,
)


def test_every_type_starts_not_configured(world: World) -> None:
    views = world.services.integrations.list_integrations(world.bf_admin, world.bf_org)
    assert [(v.type_key, v.status) for v in views] == [
        (t.key, "not_configured") for t in integration_types()
    ]
    assert {"xledger", "dynamics", "tripletex", "generic_rest"} <= {v.type_key for v in views}


def test_successful_test_then_save_makes_integration_active(world: World) -> None:
    integration_id = world.save_xledger()
    view = world.services.integrations.get_integration(world.bf_admin, integration_id)
    assert view.status == "active"
    assert view.credential_version == 1
    assert view.credentials_set_by == "Kari Nordmann"
    assert view.secret_masks == {"api_token": "••••••••789"}
    assert "api_token" not in view.settings


def test_failed_test_gives_no_proof_and_names_the_field(world: World) -> None:
    outcome = world.services.integrations.test_connection(
        world.bf_admin, world.bf_org, xledger_draft("wrong-token-123")
    )
    assert not outcome.result.ok
    assert outcome.proof is None
    assert outcome.result.fields == ("api_token",)


def test_saving_without_a_test_is_refused_and_changes_nothing(world: World) -> None:
    service = world.services.integrations
    with pytest.raises(RetestRequired):
        service.create_integration(world.bf_admin, world.bf_org, xledger_draft(), proof=None)
    with pytest.raises(RetestRequired):
        service.create_integration(world.bf_admin, world.bf_org, xledger_draft(), proof="123.abc")
    assert service.list_integrations(world.bf_admin, world.bf_org)[0].status == "not_configured"


def test_changing_any_value_after_the_test_requires_a_new_test(world: World) -> None:
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    with pytest.raises(RetestRequired):
        service.create_integration(
            world.bf_admin, world.bf_org, xledger_draft(XLEDGER_TOKEN + "x"), outcome.proof
        )
    with pytest.raises(RetestRequired):
        service.create_integration(
            world.bf_admin, world.bf_org, xledger_draft(environment="production"), outcome.proof
        )


def test_a_proof_is_bound_to_the_organization_and_person(world: World) -> None:
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    with pytest.raises(RetestRequired):
        service.create_integration(world.hlf_admin, world.hlf_org, xledger_draft(), outcome.proof)


def test_the_database_holds_only_ciphertext(world: World) -> None:
    integration_id = world.save_xledger()
    with Session(world.services.engine) as session:
        version = session.exec(
            select(CredentialVersion).where(CredentialVersion.integration_id == integration_id)
        ).one()
        assert XLEDGER_TOKEN.encode() not in version.ciphertext
        dump = repr(
            [tuple(row) for row in session.execute(text("SELECT * FROM credential_versions"))]
        )
        dump += repr([tuple(row) for row in session.execute(text("SELECT * FROM integrations"))])
        dump += repr([tuple(row) for row in session.execute(text("SELECT * FROM audit_events"))])
    assert XLEDGER_TOKEN not in dump
    assert XLEDGER_TOKEN[-8:] not in dump


def test_invalid_input_gets_field_errors_and_changes_nothing(world: World) -> None:
    service = world.services.integrations
    bad = dynamics_draft(tenant_id="not a tenant", client_id="nope")
    with pytest.raises(InvalidConfig) as refused:
        service.test_connection(world.bf_admin, world.bf_org, bad)
    assert set(refused.value.errors) == {"tenant_id", "client_id"}
    assert world.dynamics.seen == []


def test_only_one_integration_per_type(world: World) -> None:
    world.save_xledger()
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    with pytest.raises(AlreadyConfigured):
        service.create_integration(world.bf_admin, world.bf_org, xledger_draft(), outcome.proof)


def test_edit_with_blank_secret_keeps_the_stored_one(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    draft = replace(xledger_draft(token=""), display_name="Xledger, renamed")
    outcome = service.test_connection(
        world.bf_admin, world.bf_org, draft, integration_id=integration_id
    )
    assert outcome.result.ok, outcome.result.message
    assert world.xledger.seen[-1].secrets["api_token"] == XLEDGER_TOKEN
    view = service.update_integration(world.bf_admin, integration_id, draft, outcome.proof)
    assert view.display_name == "Xledger, renamed"
    assert view.credential_version == 2
    assert service.connection_config(integration_id).secrets["api_token"] == XLEDGER_TOKEN


def test_edit_swaps_to_a_new_version_and_keeps_the_old_one(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    world.xledger.good_secret = "xl-rotated-token-ZZZ999999"
    draft = xledger_draft("xl-rotated-token-ZZZ999999")
    outcome = service.test_connection(
        world.bf_admin, world.bf_org, draft, integration_id=integration_id
    )
    service.update_integration(world.bf_admin, integration_id, draft, outcome.proof)
    assert (
        service.connection_config(integration_id).secrets["api_token"]
        == "xl-rotated-token-ZZZ999999"
    )
    with Session(world.services.engine) as session:
        versions = session.exec(
            select(CredentialVersion.version).where(
                CredentialVersion.integration_id == integration_id
            )
        ).all()
    assert sorted(versions) == [1, 2]


def test_edit_proof_from_create_cannot_be_reused(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    create_outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    with pytest.raises(RetestRequired):
        service.update_integration(
            world.bf_admin, integration_id, xledger_draft(), create_outcome.proof
        )


def test_member_is_refused_everything(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    with pytest.raises(PermissionDenied):
        service.list_integrations(world.bf_member, world.bf_org)
    with pytest.raises(PermissionDenied):
        service.test_connection(world.bf_member, world.bf_org, xledger_draft())
    with pytest.raises(PermissionDenied):
        service.set_enabled(world.bf_member, integration_id, False)
    with pytest.raises(PermissionDenied):
        service.get_integration(world.bf_member, integration_id)


def test_hlf_admin_cannot_read_or_change_blindeforbundet(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    hlf = world.hlf_admin
    with pytest.raises(NotFound):
        service.list_integrations(hlf, world.bf_org)
    with pytest.raises(NotFound):
        service.get_integration(hlf, integration_id)
    with pytest.raises(NotFound):
        service.retest(hlf, integration_id)
    with pytest.raises(NotFound):
        service.set_enabled(hlf, integration_id, False)
    with pytest.raises(NotFound):
        service.delete_integration(hlf, integration_id)
    with pytest.raises(NotFound):
        service.test_connection(hlf, world.hlf_org, xledger_draft(), integration_id=integration_id)
    outcome = service.test_connection(hlf, world.hlf_org, xledger_draft())
    with pytest.raises(NotFound):
        service.update_integration(hlf, integration_id, xledger_draft(), outcome.proof)
    assert service.get_integration(world.bf_admin, integration_id).status == "active"
    assert [v.status for v in service.list_integrations(hlf, world.hlf_org)] == [
        "not_configured"
    ] * len(integration_types())


def test_disable_and_enable_are_audited(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    assert service.set_enabled(world.bf_admin, integration_id, False).status == "disabled"
    assert service.set_enabled(world.bf_admin, integration_id, True).status == "active"
    with Session(world.services.engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "integration.tested",
        "integration.created",
        "integration.disabled",
        "integration.enabled",
    ]


def test_retest_records_the_outcome(world: World) -> None:
    integration_id = world.save_xledger()
    world.xledger.good_secret = "something-else-entirely"
    result = world.services.integrations.retest(world.bf_admin, integration_id)
    assert not result.ok
    view = world.services.integrations.get_integration(world.bf_admin, integration_id)
    assert view.last_test_ok is False
    assert view.recent_errors[0].message == "Connection test: The token was rejected."


def test_delete_removes_credentials(world: World) -> None:
    integration_id = world.save_xledger()
    world.services.integrations.delete_integration(world.bf_admin, integration_id)
    with Session(world.services.engine) as session:
        assert session.exec(select(CredentialVersion)).all() == []
        assert session.exec(select(Integration)).all() == []


def test_audit_details_never_hold_secrets(world: World) -> None:
    integration_id = world.save_xledger()
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, dynamics_draft())
    service.create_integration(world.bf_admin, world.bf_org, dynamics_draft(), outcome.proof)
    service.set_enabled(world.bf_admin, integration_id, False)
    with Session(world.services.engine) as session:
        details = repr(session.exec(select(AuditEvent.details)).all())
    assert XLEDGER_TOKEN not in details
    assert DYNAMICS_SECRET not in details


def test_editing_credentials_of_an_integration_in_error_gives_it_a_fresh_start(
    world: World,
) -> None:
    integration_id = world.save_xledger()
    with Session(world.services.engine) as session:
        row = session.get(Integration, integration_id)
        assert row is not None
        row.status, row.status_detail, row.consecutive_sync_failures = "error", "3 failed syncs", 3
        session.add(row)
        session.commit()
    service = world.services.integrations
    outcome = service.test_connection(
        world.bf_admin, world.bf_org, xledger_draft(), integration_id=integration_id
    )
    view = service.update_integration(
        world.bf_admin, integration_id, xledger_draft(), outcome.proof
    )
    assert view.status == "active"
    with Session(world.services.engine) as session:
        row = session.get(Integration, integration_id)
        assert row is not None and row.consecutive_sync_failures == 0

"""The audit trail an auditor reads: every action, with who and when, readable, exportable, secret-free."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accountlink_ui.demo_drafts import save_demo_posting
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import Role
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.audit_service import CSV_COLUMNS, AuditService, describe
from accountlink_ui.services.errors import NotFound, PermissionDenied
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import Services
from accountlink_ui.views import Actor
from tests.support.databases import sqlite_database
from tests.support.fake_adapter import ScriptedAdapter
from tests.support.world import build_world, world_settings

GOOD = "xl-audit-token-Good123456"
WRONG = "xl-wrong-token-Zz9Yy8Xx"


@dataclass
class Trail:
    services: Services
    admin: Actor
    member: Actor
    other: Actor
    org: int

    @property
    def audit(self) -> AuditService:
        return AuditService(engine=self.services.engine)


@pytest.fixture
def trail(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trail]:
    settings = world_settings(sqlite_database(tmp_path, tmp_path_factory.getbasetemp()), tmp_path)
    adapter = ScriptedAdapter("xledger", "api_token", GOOD)
    world = build_world(settings, adapters=AdapterRegistry([adapter]))
    yield Trail(world.services, world.bf_admin, world.bf_member, world.hlf_admin, world.bf_org)
    world.services.engine.dispose()


def _draft(token: str) -> ConnectionDraft:
    return ConnectionDraft("xledger", "sandbox", "api_token", {"api_token": token}, "Main ledger")


def _every_action(trail: Trail) -> int:
    """What an admin can do, in the order an admin would, through the services the pages call."""
    integrations, admin, org = trail.services.integrations, trail.admin, trail.org
    integrations.test_connection(admin, org, _draft(WRONG))
    proof = integrations.test_connection(admin, org, _draft(GOOD)).proof
    integration_id = integrations.create_integration(admin, org, _draft(GOOD), proof).id
    assert integration_id is not None
    save_demo_posting(trail.services.postings, admin, integration_id)
    integrations.retest(admin, integration_id)
    edit = _draft(GOOD)  # an edit that keeps the token still writes a new credential version
    proof = integrations.test_connection(admin, org, edit, integration_id=integration_id).proof
    integrations.update_integration(admin, integration_id, edit, proof)
    integrations.set_enabled(admin, integration_id, False)
    integrations.set_enabled(admin, integration_id, True)
    integrations.set_sync_interval(admin, integration_id, 60)
    trail.services.sync.run(integration_id, trigger="manual", actor=admin)  # type: ignore[attr-defined]
    tokens = ApiTokenService(engine=trail.services.engine)
    issued = tokens.create_token(admin, org, "Monitoring")
    tokens.revoke_token(admin, org, issued.view.id)
    return integration_id


def test_every_action_is_in_the_trail_with_its_actor_and_a_readable_summary(trail: Trail) -> None:
    integration_id = _every_action(trail)
    events = trail.audit.list_events(trail.admin, trail.org)
    actions = [e.action for e in reversed(events)]
    assert actions == [
        "integration.tested",
        "integration.tested",
        "integration.created",
        "posting_settings.changed",
        "integration.tested",
        "integration.tested",
        "integration.credentials_updated",
        "integration.disabled",
        "integration.enabled",
        "integration.schedule_changed",
        "integration.synced",
        "api_token.created",
        "api_token.revoked",
    ]
    assert {e.actor for e in events} == {"Kari Nordmann"}
    assert {e.actor_email for e in events} == {"kari@bf.test"}
    by_action = {e.action: e for e in events}
    assert by_action["integration.disabled"].summary == "status: active → disabled"
    assert by_action["integration.schedule_changed"].summary == "sync interval minutes: 15 → 60"
    assert by_action["integration.created"].action_label == "Set up integration"
    assert by_action["integration.created"].summary == (
        "Xledger; environment Demo (sandbox); sign-in API token; secrets set: api_token; "
        "credential version 1"
    )
    assert by_action["api_token.revoked"].summary.startswith("Token “Monitoring” (alk_")
    posting = by_action["posting_settings.changed"]
    assert posting.action_label == "Changed posting settings"
    assert posting.summary.startswith("Posting settings version 1; default expense account: ")
    assert "counter account: (empty) → 2910" in posting.summary
    assert by_action["integration.synced"].action_label == "Synced"
    assert by_action["integration.synced"].summary.startswith("Manual sync succeeded: 0 sent")
    failed_test = events[-1]
    assert (
        failed_test.summary == "Failed: The token was rejected (5 ms); fields at fault: api_token"
    )
    assert by_action["integration.enabled"].integration == "Xledger: Main ledger"
    assert by_action["integration.enabled"].integration_id == integration_id


def test_deleted_integrations_keep_their_trail_and_name(trail: Trail) -> None:
    integration_id = _every_action(trail)
    trail.services.integrations.delete_integration(trail.admin, integration_id)
    events = trail.audit.list_events(trail.admin, trail.org, integration_id=integration_id)
    assert events[0].action == "integration.deleted"
    assert events[0].summary == "Deleted Main ledger"
    assert {e.integration for e in events} == {"Main ledger (deleted)"}
    choices = trail.audit.integration_choices(trail.admin, trail.org)
    assert [(c.id, c.label) for c in choices] == [(integration_id, "Main ledger (deleted)")]


def test_operator_commands_are_attributed_to_the_operator(trail: Trail) -> None:
    integration_id = _every_action(trail)
    trail.services.integrations.test_stored(integration_id)
    event = trail.audit.list_events(trail.admin, trail.org, limit=1)[0]
    assert (event.actor, event.actor_email) == ("Operator command", "")
    assert event.summary.endswith("by operator command")


def test_filter_by_integration(trail: Trail) -> None:
    integration_id = _every_action(trail)
    filtered = trail.audit.list_events(trail.admin, trail.org, integration_id=integration_id)
    assert filtered and {e.integration_id for e in filtered} == {integration_id}
    assert not any(e.action.startswith("api_token.") for e in filtered)


def test_csv_export_is_oldest_first_and_complete(trail: Trail) -> None:
    _every_action(trail)
    text = trail.audit.export_csv(trail.admin, trail.org)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 13
    assert rows[0]["action"] == "integration.tested"
    assert rows[-1]["action"] == "api_token.revoked"
    assert rows[-1]["actor"] == "Kari Nordmann"
    assert rows[0]["time_utc"].endswith("+00:00")


def test_nothing_secret_reaches_the_page_or_the_csv(trail: Trail) -> None:
    _every_action(trail)
    shown = repr(trail.audit.list_events(trail.admin, trail.org))
    exported = trail.audit.export_csv(trail.admin, trail.org)
    for secret in (GOOD, WRONG):
        assert secret not in shown and secret not in exported


def test_a_secret_stored_by_mistake_in_details_is_masked() -> None:
    from accountlink_ui.services.audit_service import _masked

    masked = _masked(
        {"settings": {"client_secret": "oops-real-secret"}, "secrets_set": ["api_token"]}
    )
    assert masked == {"settings": {"client_secret": "••••••••"}, "secrets_set": ["api_token"]}


def test_spreadsheet_formulas_are_neutralised_in_the_csv() -> None:
    from datetime import UTC, datetime

    from accountlink_ui.services.audit_service import AuditEventView, events_to_csv

    event = AuditEventView(
        id=1,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        action="integration.created",
        action_label="Set up integration",
        actor='=HYPERLINK("http://evil")',
        actor_email="",
        integration_id=None,
        integration="",
        summary="",
        details={},
    )
    row = next(iter(csv.DictReader(io.StringIO(events_to_csv([event])))))
    assert row["actor"].startswith("'=")


def test_members_and_other_organizations_cannot_read_the_trail(trail: Trail) -> None:
    integration_id = _every_action(trail)
    with pytest.raises(PermissionDenied):
        trail.audit.list_events(trail.member, trail.org)
    with pytest.raises(NotFound):
        trail.audit.list_events(trail.other, trail.org)
    with pytest.raises(NotFound):
        trail.audit.export_csv(trail.other, trail.org)
    other_org = trail.services.auth.create_organization(name="Third", slug="third")
    trail.services.auth.add_membership(
        organization_id=other_org, user_id=trail.admin.user_id, role=Role.ADMIN
    )
    with pytest.raises(NotFound):
        trail.audit.list_events(trail.admin, other_org, integration_id=integration_id)


def test_unknown_actions_still_read_well() -> None:
    assert describe(
        "integration.something_new", {"a_b": {"from": "x", "to": "y"}, "n": [1, 2]}
    ) == ("a b: x → y; n: 1, 2")

"""The connection form's submit as one service call (wizard and credential form alike).

The rules tested here used to live in the Reflex state: a blank secret keeps the
stored one only while the destination is unchanged, a secret typed for one address
is not sent to another, and over-long values are refused and not kept.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from accountlink_ui.i18n.compat import english
from accountlink_ui.services.connection_form import (
    CORRECT_FIELDS,
    FormOutcome,
    FormSubmission,
)
from accountlink_ui.services.errors import NotFound
from accountlink_ui.views import Actor
from tests.support.scripted_world import XLEDGER_TOKEN, World, xledger_draft

OTHER_TOKEN = "xl-test-token-Other9876543"


def _submit(
    world: World,
    payload: Mapping[str, object],
    *,
    environment: str = "sandbox",
    sealed: str = "",
    integration_id: int | None = None,
    actor: Actor | None = None,
    organization_id: int | None = None,
) -> FormOutcome:
    submission = FormSubmission(
        type_key="xledger",
        environment=environment,
        auth_flow="api_token",
        values={},
        display_name="",
        payload=payload,
        sealed=sealed,
        integration_id=integration_id,
    )
    return world.services.forms.submit(
        actor or world.bf_admin, organization_id or world.bf_org, submission
    )


def _saved_xledger(world: World) -> int:
    service = world.services.integrations
    outcome = service.test_connection(world.bf_admin, world.bf_org, xledger_draft())
    view = service.create_integration(world.bf_admin, world.bf_org, xledger_draft(), outcome.proof)
    assert view.id is not None
    return view.id


def _draft_secrets(world: World, outcome: FormOutcome, environment: str = "sandbox") -> dict:
    draft = world.services.forms.draft(
        world.bf_admin,
        world.bf_org,
        sealed=outcome.sealed,
        type_key="xledger",
        environment=environment,
        auth_flow="api_token",
        values=outcome.values,
        display_name=outcome.display_name,
    )
    return dict(draft.values)


def test_a_typed_secret_is_sealed_and_only_its_key_is_returned(world: World) -> None:
    outcome = _submit(world, {"api_token": XLEDGER_TOKEN, "display_name": "Ledger"})
    assert outcome.ok and outcome.form_error is None
    assert outcome.entered == ["api_token"]
    assert XLEDGER_TOKEN not in repr(outcome) and XLEDGER_TOKEN not in outcome.sealed
    assert outcome.display_name == "Ledger"
    assert _draft_secrets(world, outcome) == {"api_token": XLEDGER_TOKEN}


def test_a_missing_secret_on_the_wizard_is_a_field_error(world: World) -> None:
    outcome = _submit(world, {"api_token": "  "})
    assert set(outcome.errors) == {"api_token"}
    assert outcome.form_error == CORRECT_FIELDS
    assert outcome.entered == []


def test_blank_keeps_the_stored_secret_while_the_destination_is_unchanged(world: World) -> None:
    integration_id = _saved_xledger(world)
    outcome = _submit(world, {"api_token": ""}, integration_id=integration_id)
    assert outcome.ok, outcome.errors
    assert outcome.entered == []
    # The draft leaves it blank: the integration service fills it from the vault.
    assert _draft_secrets(world, outcome) == {}


def test_blank_after_the_destination_moved_must_be_typed_again(world: World) -> None:
    integration_id = _saved_xledger(world)
    outcome = _submit(
        world, {"api_token": ""}, environment="production", integration_id=integration_id
    )
    assert list(outcome.errors) == ["api_token"]
    assert "again" in english(outcome.errors["api_token"])
    typed = _submit(
        world, {"api_token": OTHER_TOKEN}, environment="production", integration_id=integration_id
    )
    assert typed.ok, typed.errors


def test_a_secret_typed_for_one_address_does_not_follow_another(world: World) -> None:
    first = _submit(world, {"api_token": XLEDGER_TOKEN})
    assert first.ok
    again = _submit(world, {}, sealed=first.sealed)
    assert again.ok and again.entered == ["api_token"]  # same address: still entered
    moved = _submit(world, {}, environment="production", sealed=first.sealed)
    assert list(moved.errors) == ["api_token"] and "again" in english(moved.errors["api_token"])
    assert moved.entered == []
    assert _draft_secrets(world, moved, "production") == {}


def test_over_long_values_are_refused_and_not_kept(world: World) -> None:
    outcome = _submit(world, {"api_token": "x" * 5000, "display_name": "n" * 500})
    assert {"api_token", "display_name"} <= set(outcome.errors)
    assert outcome.entered == [] and outcome.display_name == ""


def test_a_draft_sealed_for_one_admin_opens_for_no_one_else(world: World) -> None:
    outcome = _submit(world, {"api_token": XLEDGER_TOKEN})
    stolen = _submit(
        world, {}, sealed=outcome.sealed, actor=world.hlf_admin, organization_id=world.hlf_org
    )
    assert stolen.entered == [] and "api_token" in stolen.errors


def test_editing_another_organizations_integration_finds_nothing(world: World) -> None:
    integration_id = _saved_xledger(world)
    with pytest.raises(NotFound):
        _submit(
            world,
            {"api_token": ""},
            integration_id=integration_id,
            actor=world.hlf_admin,
            organization_id=world.hlf_org,
        )

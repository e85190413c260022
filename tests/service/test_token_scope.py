"""An API token reaches its own organization only, and the services decide that.

The API layer passes the token's ``ApiActor`` and compares nothing itself
(``api/deps.py``); these calls go straight to the services, as a route would.
"""

from __future__ import annotations

import pytest

from accountlink_ui.models import Role
from accountlink_ui.services.api_token_service import ApiActor
from accountlink_ui.services.errors import NotFound
from accountlink_ui.views import Actor
from tests.support.scripted_world import World, xledger_draft


def _admin_of_both(world: World) -> tuple[Actor, ApiActor, int]:
    """A person who administers both organizations, the same person through a token made
    for the first, and the second organization's Xledger integration."""
    auth = world.services.auth
    person = auth.create_user(email="both@test", name="Both", password="correct horse battery")
    for organization_id in (world.bf_org, world.hlf_org):
        auth.add_membership(
            organization_id=organization_id, user_id=person.user_id, role=Role.ADMIN
        )
    service = world.services.integrations
    outcome = service.test_connection(world.hlf_admin, world.hlf_org, xledger_draft())
    view = service.create_integration(
        world.hlf_admin, world.hlf_org, xledger_draft(), outcome.proof
    )
    issued = world.services.api_tokens.create_token(person, world.bf_org, "scoped")
    actor = world.services.api_tokens.authenticate(issued.token)
    assert actor is not None and actor.organization_scope == world.bf_org
    assert view.id is not None
    return person, actor, view.id


def test_a_token_cannot_reach_another_organization_its_creator_runs(world: World) -> None:
    _, actor, other_integration = _admin_of_both(world)
    services = world.services
    with pytest.raises(NotFound, match="That integration does not exist"):
        services.integrations.get_integration(actor, other_integration)
    with pytest.raises(NotFound):
        services.integrations.list_integrations(actor, world.hlf_org)
    with pytest.raises(NotFound, match="That integration does not exist"):
        services.sync.recent_runs(actor, other_integration)
    with pytest.raises(NotFound):
        services.audit.list_events(actor, world.hlf_org)
    with pytest.raises(NotFound):
        services.api_tokens.list_tokens(actor, world.hlf_org)
    # Its own organization answers as usual.
    assert services.integrations.list_integrations(actor, world.bf_org)


def test_the_same_person_signed_in_reaches_both(world: World) -> None:
    person, _, other_integration = _admin_of_both(world)
    view = world.services.integrations.get_integration(person, other_integration)
    assert view.organization_id == world.hlf_org

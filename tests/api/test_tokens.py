"""Organization API tokens: shown once, stored as SHA-256, revocable, admin-only, audited."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from accountlink_ui.models import ApiToken, AuditEvent, Role
from accountlink_ui.services.errors import InvalidConfig, NotFound, PermissionDenied
from accountlink_ui.services.members_service import members_service
from tests.support.api_world import ApiWorld


def test_only_the_hash_is_stored_and_the_prefix_tells_tokens_apart(world: ApiWorld) -> None:
    issued = world.tokens.create_token(world.bf_admin, world.bf_org, "Monitoring")
    world.issued.append(issued.token)
    with Session(world.services.engine) as session:
        row = session.get(ApiToken, issued.view.id)
    assert row is not None
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in repr(row.model_dump())
    assert issued.token.startswith(row.prefix) and row.prefix.startswith("alk_")
    assert issued.token not in repr(issued), "the plaintext stays out of logs and reprs"
    listed = world.tokens.list_tokens(world.bf_admin, world.bf_org)
    view = next(t for t in listed if t.id == issued.view.id)
    assert (view.name, view.created_by, view.last_used_at) == ("Monitoring", "Kari Nordmann", None)


def test_use_records_last_used_time(world: ApiWorld) -> None:
    issued = world.tokens.create_token(world.bf_admin, world.bf_org, "Last used")
    world.issued.append(issued.token)
    with world.client(issued.token) as client:
        assert client.get("/integrations").status_code == 200
    view = next(
        t for t in world.tokens.list_tokens(world.bf_admin, world.bf_org) if t.id == issued.view.id
    )
    assert view.last_used_at is not None


def test_a_revoked_token_is_401_at_once_and_revocation_is_audited(world: ApiWorld) -> None:
    token = world.token()
    with world.client(token) as client:
        assert client.get("/integrations").status_code == 200
        (row,) = [
            t
            for t in world.tokens.list_tokens(world.bf_admin, world.bf_org)
            if token.startswith(t.prefix) and t.active
        ]
        world.tokens.revoke_token(world.bf_admin, world.bf_org, row.id)
        after = client.get("/integrations")
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    revoked = world.tokens.list_tokens(world.bf_admin, world.bf_org)
    assert next(t for t in revoked if t.id == row.id).revoked_at is not None
    with Session(world.services.engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "api_token.revoked")
        ).all()[-1]
    assert event.actor_id == world.bf_admin.user_id
    assert event.details == {"token": row.name, "prefix": row.prefix}


def test_a_token_dies_with_its_creators_admin_role(world: ApiWorld) -> None:
    auth = world.services.auth
    person = auth.create_user(email="temp-admin@bf.test", name="Temp Admin", password="x" * 12)
    auth.add_membership(organization_id=world.bf_org, user_id=person.user_id, role=Role.ADMIN)
    token = world.token(person, world.bf_org)
    with world.client(token) as client:
        assert client.get("/integrations").status_code == 200
        with Session(world.services.engine) as session:
            from accountlink_ui import integrations_repository

            membership = integrations_repository.membership(session, world.bf_org, person.user_id)
            assert membership is not None
            membership.role = Role.MEMBER.value
            session.add(membership)
            session.commit()
        assert client.get("/integrations").status_code == 401


def test_a_token_dies_when_its_creator_leaves_its_organization_though_admin_elsewhere(
    world: ApiWorld,
) -> None:
    """The role that counts is the one in the token's own organization: being an admin of
    another organization (HLF here) keeps nothing alive in Blindeforbundet."""
    auth = world.services.auth
    person = auth.create_user(email="leaver@both.test", name="Leaver", password="x" * 12)
    for organization_id in (world.bf_org, world.hlf_org):
        auth.add_membership(
            organization_id=organization_id, user_id=person.user_id, role=Role.ADMIN
        )
    token = world.token(person, world.bf_org)
    with world.client(token) as client:
        assert client.get("/integrations").status_code == 200
        members_service(world.services).remove_member(world.bf_admin, world.bf_org, person.user_id)
        refused = client.get("/integrations")
        assert refused.status_code == 401
        assert refused.json()["code"] == "api.token_invalid"


def test_members_cannot_list_create_or_revoke_tokens(world: ApiWorld) -> None:
    tokens = world.tokens
    with pytest.raises(PermissionDenied):
        tokens.list_tokens(world.bf_member, world.bf_org)
    with pytest.raises(PermissionDenied):
        tokens.create_token(world.bf_member, world.bf_org, "sneaky")


def test_another_organizations_admin_cannot_see_or_revoke_a_token(world: ApiWorld) -> None:
    issued = world.tokens.create_token(world.bf_admin, world.bf_org, "Private")
    world.issued.append(issued.token)
    with pytest.raises(NotFound):
        world.tokens.list_tokens(world.hlf_admin, world.bf_org)
    with pytest.raises(NotFound):
        world.tokens.revoke_token(world.hlf_admin, world.hlf_org, issued.view.id)
    with world.client(issued.token) as client:
        assert client.get("/integrations").status_code == 200


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_token_needs_a_sensible_name(world: ApiWorld, name: str) -> None:
    with pytest.raises(InvalidConfig) as refused:
        world.tokens.create_token(world.bf_admin, world.bf_org, name)
    assert "name" in refused.value.errors


@pytest.mark.parametrize(
    "header",
    ["Basic a2FyaTpwYXNz", "Bearer", "Bearer alk_", "bearer alk_" + "z" * 300, "Token abc"],
)
def test_malformed_authorization_is_401(world: ApiWorld, header: str) -> None:
    import httpx

    with httpx.Client(base_url=world.api, trust_env=False) as client:
        response = client.get("/integrations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

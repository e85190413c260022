from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import Role
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor
from tests.support.fake_adapter import ScriptedAdapter

XLEDGER_TOKEN = "xl-test-token-Abc123456789"
DYNAMICS_SECRET = "dyn~secret~0123456789abcdef"
DYNAMICS_VALUES = {
    "product": "business_central",
    "tenant_id": "5f0b2a61-8c3e-4d7a-9b1e-2c4d6e8f0a13",
    "client_id": "0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90",
    "bc_environment": "sandbox",
}


def xledger_draft(token: str = XLEDGER_TOKEN, environment: str = "sandbox") -> ConnectionDraft:
    """For the scripted adapter, which takes these test credentials (not the sandbox's)."""
    return ConnectionDraft("xledger", environment, "api_token", {"api_token": token})


def dynamics_draft(secret: str = DYNAMICS_SECRET, **overrides: str) -> ConnectionDraft:
    values = {**DYNAMICS_VALUES, "client_secret": secret, **overrides}
    return ConnectionDraft("dynamics", "sandbox", "client_secret", values)


@dataclass
class World:
    services: Services
    xledger: ScriptedAdapter
    dynamics: ScriptedAdapter
    bf_admin: Actor
    bf_member: Actor
    hlf_admin: Actor
    bf_org: int
    hlf_org: int


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json"
    )
    xledger = ScriptedAdapter("xledger", "api_token", XLEDGER_TOKEN)
    dynamics = ScriptedAdapter("dynamics", "client_secret", DYNAMICS_SECRET)
    services = build_services(settings, adapters=AdapterRegistry([xledger, dynamics]))
    auth = services.auth
    bf = auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    hlf = auth.create_organization(name="HLF", slug="hlf")
    people = {}
    for key, email, org, role in (
        ("bf_admin", "kari@bf.test", bf, Role.ADMIN),
        ("bf_member", "ola@bf.test", bf, Role.MEMBER),
        ("hlf_admin", "hanne@hlf.test", hlf, Role.ADMIN),
    ):
        actor = auth.create_user(email=email, name=key, password="correct horse battery")
        auth.add_membership(organization_id=org, user_id=actor.user_id, role=role)
        people[key] = actor
    yield World(services, xledger, dynamics, bf_org=bf, hlf_org=hlf, **people)
    services.engine.dispose()

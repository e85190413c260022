"""The seeded world with scripted adapters, for service and scheduler tests: the real
services, vault and database, but connection tests answered by ``ScriptedAdapter``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.services.integration_service import ConnectionDraft
from tests.support.fake_adapter import ScriptedAdapter
from tests.support.world import SeededWorld, build_world, world_settings

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


@dataclass(repr=False)
class World(SeededWorld):
    xledger: ScriptedAdapter = field(kw_only=True)
    dynamics: ScriptedAdapter = field(kw_only=True)

    def save_xledger(self) -> int:
        """Blindeforbundet's Xledger integration, tested and saved by Kari."""
        return self.save_integration(xledger_draft())


def build_scripted_world(database_url: str, tmp_path: Path) -> World:
    xledger = ScriptedAdapter("xledger", "api_token", XLEDGER_TOKEN)
    dynamics = ScriptedAdapter("dynamics", "client_secret", DYNAMICS_SECRET)
    return build_world(
        world_settings(database_url, tmp_path),
        adapters=AdapterRegistry([xledger, dynamics]),
        world=World,
        xledger=xledger,
        dynamics=dynamics,
    )

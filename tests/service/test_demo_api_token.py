"""The README's demo API token exists in the demo only, and acts for Blindeforbundet."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountlink_ui.demo import DEMO_API_TOKEN, seed_demo
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings


@pytest.mark.parametrize("demo", [True, False])
def test_the_demo_token_is_seeded_only_in_the_demo(
    database_url: str, tmp_path: Path, demo: bool
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        master_key_file=tmp_path / "keys.json",
        demo=demo,
    )
    services = build_services(settings, adapters=AdapterRegistry())
    try:
        seed_demo(services)
        again = seed_demo(services)
        actor = ApiTokenService(engine=services.engine).authenticate(DEMO_API_TOKEN)
        if demo:
            assert actor is not None and actor.email == "kari@blindeforbundet.example"
            assert not any("token" in line for line in again)
        else:
            assert actor is None
    finally:
        services.engine.dispose()

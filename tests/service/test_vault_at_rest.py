"""Secrets at rest: only ciphertext on disk, and key rotation keeps everything readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountlink_ui.services.key_rotation import rotate_master_key
from accountlink_ui.services.wiring import build_services
from accountlink_ui.vault import load_key_ring
from tests.support.scripted_world import XLEDGER_TOKEN, World


def test_secret_bytes_appear_nowhere_in_the_sqlite_file_or_wal(world: World) -> None:
    if not world.services.settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("a file-level check for the embedded SQLite database")
    world.save_xledger()
    path = Path(world.services.settings.resolved_database_url.removeprefix("sqlite:///"))
    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    assert files
    for file in files:
        content = file.read_bytes()
        assert XLEDGER_TOKEN.encode() not in content
        assert XLEDGER_TOKEN.encode("utf-16-le") not in content


def test_rotation_rewraps_every_credential_and_retiring_old_keys_keeps_them_readable(
    world: World,
) -> None:
    integration_id = world.save_xledger()
    old_key_id = world.services.key_ring.current.key_id
    report = rotate_master_key(world.services, retire_old=True)
    assert "re-wrapped 1 credential versions" in report
    settings = world.services.settings
    ring = load_key_ring(env_value=None, key_file=settings.resolved_master_key_file)
    assert old_key_id not in ring.key_ids
    fresh = build_services(settings, adapters=world.services.integrations._adapters, key_ring=ring)
    assert (
        fresh.integrations.connection_config(integration_id).secrets["api_token"] == XLEDGER_TOKEN
    )

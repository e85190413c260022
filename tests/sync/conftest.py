"""The sync engine against real databases (SQLite, PostgreSQL) and the sandbox over HTTP.

The world is the shared seeded one (tests/support/world.py) with the real adapters and a
sync service over them (tests/support/sync_world.py); the sandbox is the shared one, reset
before every test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import Sandbox
from tests.support.secrets import assert_no_secret
from tests.support.sync_world import SyncWorld, sandbox_registry
from tests.support.world import build_world


@pytest.fixture
def world(
    database_url: str, tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> Iterator[SyncWorld]:
    caplog.set_level(logging.DEBUG)
    settings = sandbox.settings(
        database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json"
    )
    registry = sandbox_registry(settings)
    world = build_world(
        settings, adapters=registry, world=SyncWorld, sandbox=sandbox, registry=registry
    )
    yield world
    assert_no_secret(caplog.text)
    world.services.engine.dispose()

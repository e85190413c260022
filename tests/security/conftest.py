"""Security tests: the seeded world (tests/support/world.py) for session and sign-in tests,
and for the secret-destination tests the same world with the real adapters against the
sandbox plus a recording server on another port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accountlink_ui.integrations.registry import default_registry
from tests.support.recorder import DestinationWorld, Recorder, running_recorder
from tests.support.sandbox import Sandbox
from tests.support.world import SeededWorld, build_world, world_settings


@pytest.fixture
def session_world(database_url: str, tmp_path: Path) -> Iterator[SeededWorld]:
    world = build_world(world_settings(database_url, tmp_path))
    yield world
    world.services.engine.dispose()


@pytest.fixture(scope="session")
def recorder_server() -> Iterator[Recorder]:
    with running_recorder() as recorder:
        yield recorder


@pytest.fixture
def destination_world(
    database_url: str, tmp_path: Path, sandbox: Sandbox, recorder_server: Recorder
) -> Iterator[DestinationWorld]:
    recorder_server.clear()
    settings = sandbox.settings(
        database_url=database_url,
        data_dir=tmp_path,
        master_key_file=tmp_path / "keys.json",
        # Both are hosts an admin may type (loopback is refused otherwise), each on its port.
        allowed_hosts=[urlsplit(sandbox.base).netloc, urlsplit(recorder_server.base).netloc],
    )
    world = build_world(
        settings,
        adapters=default_registry(settings),
        world=DestinationWorld,
        sandbox=sandbox,
        recorder=recorder_server,
    )
    yield world
    world.services.engine.dispose()

"""Fixtures every test package shares (loaded by ``tests/conftest.py`` as a plugin).

``scripted_world``: the seeded world with scripted adapters (service and scheduler tests).

``sandbox_server``: one sandbox server per test process, started on first use (starting
uvicorn is the slow part). ``sandbox``: the same server for one test, its state reset
before and after, with an HTTP client aimed at it. Tests that change how the sandbox
itself runs (TLS, a server they stop) start their own with ``running_sandbox``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import Sandbox
from tests.support.scripted_world import World, build_scripted_world


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    # Imported here: the application's modules load after tests/conftest.py cleaned the env.
    from accountlink_ui.sandbox.server import running_sandbox
    from accountlink_ui.sandbox.state import SandboxState

    state = SandboxState()
    with running_sandbox(state) as base:
        yield Sandbox(base, state)


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    sandbox_server.state.reset()
    with httpx.Client(base_url=sandbox_server.base, timeout=10.0) as client:
        yield replace(sandbox_server, http=client)
    sandbox_server.state.reset()


@pytest.fixture
def scripted_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The seeded world with scripted adapters (tests/support/scripted_world.py)."""
    world = build_scripted_world(database_url, tmp_path)
    yield world
    world.services.engine.dispose()

"""Adapters against the sandbox over real loopback HTTP, exactly as against the real systems.

One sandbox server per session (starting uvicorn is the slow part); its state
is reset before every test, and every adapter is built fresh so no token cache
survives from one test to the next. Every test also proves that no secret the
sandbox knows reached a log line (captured at DEBUG from every logger).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState
from tests.adapters.support import Sandbox, assert_no_secret


@pytest.fixture(scope="session")
def _served() -> Iterator[Sandbox]:
    state = SandboxState()
    with running_sandbox(state) as base:
        yield Sandbox(base, state)


@pytest.fixture
def sandbox(_served: Sandbox) -> Sandbox:
    _served.state.reset()
    return _served


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert_no_secret(caplog.text)

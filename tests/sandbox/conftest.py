"""One sandbox server for the whole sandbox test session, reset before each test.

Starting uvicorn once keeps the suite fast; resetting the shared state keeps
tests independent of each other's faults, records and log entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState


@dataclass
class Sandbox:
    """A running sandbox: its base URL, its state, and a client pointed at it."""

    url: str
    state: SandboxState
    client: httpx.Client

    def entra_token(self, scope: str = demo.BC_SCOPE) -> str:
        """A fresh access token from the Entra sandbox via the demo client secret."""
        response = self.client.post(
            f"/entra/{demo.ENTRA_TENANT_ID}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": demo.ENTRA_CLIENT_ID,
                "client_secret": demo.ENTRA_CLIENT_SECRET,
                "scope": scope,
            },
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[tuple[str, SandboxState]]:
    state = SandboxState()
    with running_sandbox(state) as url:
        yield url, state


@pytest.fixture
def sandbox(_sandbox_server: tuple[str, SandboxState]) -> Iterator[Sandbox]:
    url, state = _sandbox_server
    state.reset()
    with httpx.Client(base_url=url, timeout=10.0) as client:
        yield Sandbox(url, state, client)
    state.reset()

"""The sandbox as the tests see it: its base URL, its state, settings that point every
system at it, and (inside a test) an HTTP client aimed at it.

One sandbox server runs per test process (the ``sandbox_server`` fixture in
``tests/support/fixtures.py``); the ``sandbox`` fixture resets its state around each test.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from accountlink_ui.integrations.registry import integration_types
from accountlink_ui.integrations.types import override_key
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.settings import Settings


@dataclass
class Sandbox:
    base: str
    state: SandboxState
    http: httpx.Client | None = None
    """Set for the length of one test by the ``sandbox`` fixture."""

    @property
    def url(self) -> str:
        return self.base

    @property
    def client(self) -> httpx.Client:
        if self.http is None:
            raise RuntimeError("Sandbox.client exists inside a test: use the `sandbox` fixture")
        return self.http

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            # Every declared endpoint at the sandbox, as explicit overrides (not
            # sandbox_url, which would allowlist the sandbox whatever allowed_hosts says).
            "endpoints": {
                override_key(t.key, env.key, endpoint.key): f"{self.base}{endpoint.sandbox_path}"
                for t in integration_types()
                for env in t.environments
                for endpoint in env.endpoints
            },
            "allowed_hosts": [urlsplit(self.base).netloc],
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def requests(self, system: str) -> list[dict[str, object]]:
        return self.state.request_log(system)

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
        return str(response.json()["access_token"])

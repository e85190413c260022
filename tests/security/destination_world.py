"""Fixtures for the secret-destination tests: real adapters against the sandbox, plus a
recording HTTP server on another port. (Not a conftest.py: the tests import them, so this
folder's conftest stays free for other suites.)

The recorder stands in for a host an attacker controls: it answers every request
with 200 and a token-shaped JSON body (so a leaking client would carry on), and
keeps each request's raw text (request line, headers, body) for the assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.models import Role
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.views import Actor
from tests.adapters.support import Sandbox


@dataclass
class Recorder:
    base: str
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[str]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record_and_answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("latin-1") if length else ""
            with recorder.lock:
                recorder.requests.append(f"{self.requestline}\n{self.headers}\n{body}")
            payload = json.dumps(
                {"access_token": "recorded", "token_type": "Bearer", "expires_in": 3600}
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _record_and_answer

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output is not the place for the recorded requests."""

    return Handler


@pytest.fixture(scope="session")
def _recorder() -> Iterator[Recorder]:
    recorder = Recorder(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    recorder.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def _sandbox() -> Iterator[Sandbox]:
    state = SandboxState()
    with running_sandbox(state) as base:
        yield Sandbox(base, state)


@dataclass
class World:
    services: Services
    sandbox: Sandbox
    recorder: Recorder
    admin: Actor
    org: int

    def connect(self, draft: ConnectionDraft) -> int:
        """Set an integration up as the wizard does (test, then save with the proof)."""
        integrations = self.services.integrations
        outcome = integrations.test_connection(self.admin, self.org, draft)
        assert outcome.result.ok, outcome.result.message
        view = integrations.create_integration(self.admin, self.org, draft, outcome.proof)
        assert view.id is not None
        self.sandbox.state.reset()
        self.recorder.clear()
        return view.id


@pytest.fixture(name="world")
def world_fixture(
    database_url: str, tmp_path: Path, _sandbox: Sandbox, _recorder: Recorder
) -> Iterator[World]:
    _sandbox.state.reset()
    _recorder.clear()
    settings = _sandbox.settings(
        database_url=database_url,
        data_dir=tmp_path,
        master_key_file=tmp_path / "keys.json",
        # Both are hosts an admin may type (loopback is refused otherwise), each on its port.
        allowed_hosts=[urlsplit(_sandbox.base).netloc, urlsplit(_recorder.base).netloc],
    )
    services = build_services(settings, adapters=default_registry(settings))
    org = services.auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    admin = services.auth.create_user(
        email="kari@bf.test", name="Kari", password="correct horse battery"
    )
    services.auth.add_membership(organization_id=org, user_id=admin.user_id, role=Role.ADMIN)
    yield World(services, _sandbox, _recorder, admin, org)
    services.engine.dispose()

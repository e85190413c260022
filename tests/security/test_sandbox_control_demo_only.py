"""The sandbox's fault switches exist in the app only in demo mode; standalone they stay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from accountlink_ui.asgi import mount_backend_routes
from accountlink_ui.sandbox.app import create_sandbox_app
from accountlink_ui.settings import get_settings

FAULT = {"system": "xledger", "mode": "http_500"}


async def _reflex(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("reflex", status_code=404)(scope, receive, send)


@pytest.fixture
def app_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def build(*, demo: bool) -> TestClient:
        monkeypatch.setenv("ACCOUNTLINK_MOUNT_SANDBOX", "1")
        monkeypatch.setenv("ACCOUNTLINK_DEMO", "1" if demo else "0")
        get_settings.cache_clear()
        return TestClient(mount_backend_routes(_reflex))

    yield build
    get_settings.cache_clear()


def test_mounted_sandbox_outside_the_demo_has_no_fault_control(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(demo=False)
    assert client.get("/sandbox/").status_code == 200, "the sandbox itself still answers"
    assert "control" not in client.get("/sandbox/").json()["endpoints"]
    assert client.post("/sandbox/_control/faults", json=FAULT).status_code == 404
    assert client.delete("/sandbox/_control/faults").status_code == 404
    assert client.get("/sandbox/_control/requests/xledger").status_code == 404


def test_demo_keeps_fault_control(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(demo=True)
    assert client.post("/sandbox/_control/faults", json=FAULT).status_code < 300
    assert client.delete("/sandbox/_control/faults").status_code < 300


def test_standalone_sandbox_keeps_fault_control() -> None:
    with TestClient(create_sandbox_app()) as client:
        assert client.post("/_control/faults", json=FAULT).status_code < 300

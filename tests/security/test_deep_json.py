"""A target answering absurdly nested JSON gets a plain failed test, not a stack trace."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accountlink_ui.integrations.contracts import Adapter, ConnectionConfig
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.dynamics import DynamicsAdapter
from accountlink_ui.integrations.generic_rest import GenericRestAdapter
from accountlink_ui.integrations.http import MAX_RESPONSE_BYTES, OutboundClient
from accountlink_ui.integrations.xledger import XledgerAdapter
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.settings import Settings

DEPTH = 100_000
DEEP = b"[" * DEPTH + b"]" * DEPTH
HUGE = b'{"a": "' + b"x" * (MAX_RESPONSE_BYTES + 1024) + b'"}'


class _Deep(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = HUGE if self.path.startswith("/huge") else DEEP
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Deep)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def settings(base: str, prefix: str = "") -> Settings:
    root = f"{base}{prefix}"
    return Settings(
        endpoints={
            "xledger.sandbox.graphql": f"{root}/graphql",
            "xledger.production.graphql": f"{root}/graphql",
            **{
                f"dynamics.{env}.{name}": f"{root}/{path}"
                for env in ("sandbox", "production")
                for name, path in (
                    ("authority", "entra"),
                    ("business_central", "bc"),
                    ("dataverse", "dataverse"),
                )
            },
        },
        allowed_hosts=[base.removeprefix("http://")],
    )


def cases(base: str, prefix: str = "") -> list[tuple[str, Adapter, ConnectionConfig]]:
    s = settings(base, prefix)
    entra = {"tenant_id": demo.ENTRA_TENANT_ID, "client_id": demo.ENTRA_CLIENT_ID}
    secret = {"client_secret": demo.ENTRA_CLIENT_SECRET}
    bc = {**entra, "product": "business_central", "bc_environment": "sandbox", "bc_company": ""}
    dataverse = {**entra, "product": "dataverse", "dataverse_url": demo.DATAVERSE_ORG_URL}
    rest = {
        "base_url": f"{base}{prefix}/rest",
        "health_path": "/health",
        "expected_status": "200",
        "records_path": "/expenses",
        "client_id": "accountlink",
        "scope": "ledger.write",
        "token_url": f"{base}{prefix}/rest/oauth2/token",
    }
    return [
        (
            "xledger",
            XledgerAdapter(s),
            ConnectionConfig("xledger", "sandbox", "api_token", {}, {"api_token": "xl-t-123456"}),
        ),
        (
            "business central",
            DynamicsAdapter(s),
            ConnectionConfig("dynamics", "sandbox", "client_secret", bc, secret),
        ),
        (
            "dataverse",
            DynamicsAdapter(s),
            ConnectionConfig("dynamics", "production", "client_secret", dataverse, secret),
        ),
        (
            "generic rest",
            GenericRestAdapter(s),
            ConnectionConfig(
                "generic_rest",
                "production",
                "oauth2_client_credentials",
                rest,
                {"client_secret": "s-123456"},
            ),
        ),
    ]


@pytest.mark.parametrize(
    "index", range(4), ids=["xledger", "business_central", "dataverse", "generic_rest"]
)
def test_deeply_nested_json_is_a_clear_failed_test(
    base: str, index: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, adapter, config = cases(base)[index]
    result = adapter.test_connection(config, Deadline(10))
    assert not result.ok
    assert "not JSON" in result.message or "not valid JSON" in result.message, result.message
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info], "no stack trace logged"


@pytest.mark.parametrize(
    "index", range(4), ids=["xledger", "business_central", "dataverse", "generic_rest"]
)
def test_a_huge_answer_is_cut_off(base: str, index: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, adapter, config = cases(base, "/huge")[index]
    result = adapter.test_connection(config, Deadline(10))
    assert not result.ok
    assert "KiB" in result.message, result.message
    assert not [record for record in caplog.records if record.exc_info]


def test_the_reply_maps_deep_nesting_to_not_json(base: str) -> None:
    client = OutboundClient(settings(base))
    reply = client.request("GET", f"{base}/deep", deadline=Deadline(10), guarded=True)
    assert len(reply.content) == 2 * DEPTH
    with pytest.raises(Exception) as caught:
        reply.json()
    assert type(caught.value).__name__ == "NotJsonError"
    assert "not JSON" in str(caught.value)

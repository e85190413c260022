"""ACCOUNTLINK_ALLOWED_HOSTS allows a host on one port, and the demo allows only its sandbox."""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest
from pydantic import ValidationError

from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import BlockedAddressError, InsecureUrlError, OutboundClient
from accountlink_ui.integrations.validation import url_error
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.settings import Settings, get_settings


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"port": self.server.server_address[1]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def allowed_port() -> Iterator[int]:
    yield from _serve()


@pytest.fixture(scope="module")
def other_port() -> Iterator[int]:
    """Another service on the same machine: a database, an admin console, a metadata proxy."""
    yield from _serve()


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    original = httpcore.SyncBackend.connect_tcp

    def spy(self, host: str, port: int, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((host, port))
        return original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", spy)
    return seen


def get(http: OutboundClient, url: str):  # type: ignore[no-untyped-def]
    return http.request("GET", url, deadline=Deadline(5), guarded=True)


def loopback(host: str, port: int) -> list[ssrf.IPAddress]:
    return [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])
def test_allowlisted_host_is_reached_only_on_its_port(
    host: str, allowed_port: int, other_port: int, connects: list[tuple[str, int]]
) -> None:
    entry = f"{'localhost' if host == 'localhost' else '127.0.0.1'}:{allowed_port}"
    http = OutboundClient(Settings(allowed_hosts=[entry]), resolver=loopback)
    assert get(http, f"http://{host}:{allowed_port}/").json() == {"port": allowed_port}
    connects.clear()
    with pytest.raises(BlockedAddressError) as caught:
        get(http, f"https://{host}:{other_port}/")
    assert "loopback" in str(caught.value)
    assert f":{other_port}' to ACCOUNTLINK_ALLOWED_HOSTS" in str(caught.value)
    with pytest.raises((BlockedAddressError, InsecureUrlError)):
        get(http, f"http://{host}:{other_port}/")
    assert connects == [], "nothing may connect to the port that is not allowlisted"


def test_https_on_another_port_of_an_allowlisted_name_is_refused(
    other_port: int, connects: list[tuple[str, int]]
) -> None:
    http = OutboundClient(Settings(allowed_hosts=["ledger.internal:443"]), resolver=loopback)
    with pytest.raises(BlockedAddressError, match=r"ledger\.internal"):
        get(http, f"https://ledger.internal:{other_port}/")
    assert connects == []


def test_plain_http_is_allowed_only_on_the_allowlisted_port() -> None:
    http = OutboundClient(Settings(allowed_hosts=["ledger.internal:8080"]), resolver=loopback)
    with pytest.raises(InsecureUrlError):
        get(http, "http://ledger.internal/api")
    allowed = ["ledger.internal:8080"]
    assert url_error("http://ledger.internal:8080/api", label="URL", allowed_hosts=allowed) is None
    refused = url_error("http://ledger.internal/api", label="URL", allowed_hosts=allowed)
    assert refused is not None and "https://" in english(refused)
    refused = url_error("http://ledger.internal:9090/api", label="URL", allowed_hosts=allowed)
    assert refused is not None and "https://" in english(refused)


@pytest.mark.parametrize("bare", ["ledger.internal", "10.0.0.5", "[fd00::5]"])
def test_a_bare_host_is_refused_at_startup_naming_the_entry(
    bare: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCOUNTLINK_ALLOWED_HOSTS", f"erp.internal:8443, {bare}")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert f"'{bare}' has no port" in str(caught.value)


@pytest.mark.parametrize(
    "junk",
    [
        "ledger.internal:http",
        "ledger.internal:0",
        "https://x.test:443/api",
        "ledger.internal:99999",
    ],
)
def test_an_entry_that_is_not_host_port_is_refused(junk: str) -> None:
    with pytest.raises(ValidationError, match="ACCOUNTLINK_ALLOWED_HOSTS entry"):
        Settings(allowed_hosts=[junk])


def test_entries_are_written_one_way() -> None:
    settings = Settings(allowed_hosts=["Ledger.Internal.:8080", "0x7f000001:80", "[::1]:8443"])
    assert settings.allowed_hosts == ["ledger.internal:8080", "127.0.0.1:80", "[::1]:8443"]


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_allowlists_only_its_sandbox_host_and_port() -> None:
    settings = Settings(sandbox_url="http://127.0.0.1:8000/sandbox")
    assert settings.allowed_hosts == ["127.0.0.1:8000"]


def test_the_demo_reaches_its_sandbox_but_no_other_local_service(
    other_port: int, connects: list[tuple[str, int]]
) -> None:
    with running_sandbox() as base:
        http = OutboundClient(Settings(sandbox_url=f"{base}/"))
        assert get(http, f"{base}/rest/health").status_code in (200, 401)
        connects.clear()
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(BlockedAddressError):
                get(http, f"https://{host}:{other_port}/")
            with pytest.raises((BlockedAddressError, InsecureUrlError)):
                get(http, f"http://{host}:{other_port}/")
        assert connects == []

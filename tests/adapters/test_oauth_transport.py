"""Token requests built by authlib still go through the guarded client (DESIGN rule 6).

Local sockets stand in for token endpoints: one that counts the connections it
accepts (so "refused before any connection" is observed, not assumed), one that
reads the request and never answers, and one that records the form it gets (so
the assertion is checked as it went over the wire, by the sandbox's own
Entra-style verifier, which uses ``cryptography`` and no JWT library).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    IntegrationError,
    PermanentError,
    TransientError,
)
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.entra import ClientCertificate, ClientSecret, EntraTokenClient
from accountlink_ui.integrations.generic_rest import GenericRestAdapter
from accountlink_ui.integrations.http import (
    BlockedAddressError,
    DeadlineExceeded,
    OutboundClient,
)
from accountlink_ui.integrations.oauth import client_credentials_token
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.credentials import EntraApp, EntraCertificate
from accountlink_ui.sandbox.entra_assertion import (
    JWT_BEARER,
    unverified_parts,
    verify_client_assertion,
)
from accountlink_ui.settings import Settings
from tests.support.vouchers import vouchers

TOKEN_HOST = "auth.example.com"
SECRET = "s3cret-value-for-the-token-url"


class _Listener:
    """A TCP socket on 127.0.0.1 that accepts and counts connections, answering nothing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.got_request = threading.Event()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            conn.settimeout(5)
            try:
                if conn.recv(65536):
                    self.got_request.set()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.close()


def _resolving_to(address: str):
    """A resolver that sends every name to ``address`` and records what it was asked."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[ssrf.IPAddress]:
        asked.append(host)
        return [ssrf.decode_ip_literal(address)]  # type: ignore[list-item]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def _oauth_config(token_url: str, base_url: str = "https://api.example.com") -> ConnectionConfig:
    return ConnectionConfig(
        type_key="generic_rest",
        environment="production",
        auth_flow="oauth2_client_credentials",
        settings={"base_url": base_url, "token_url": token_url, "client_id": "al-client"},
        secrets={"client_secret": SECRET},
    )


def test_token_url_resolving_to_a_private_address_is_refused_before_connecting(
    listener: _Listener,
) -> None:
    """The name resolves to a live server on loopback: the pin refuses it, nothing connects."""
    resolver = _resolving_to("127.0.0.1")
    http = OutboundClient(Settings(), resolver=resolver)
    adapter = GenericRestAdapter(Settings(), http=http)
    token_url = f"https://{TOKEN_HOST}:{listener.port}/oauth2/token"

    result = adapter.test_connection(_oauth_config(token_url), Deadline(10))

    assert not result.ok
    assert result.fields == ("token_url",)
    assert f"'{TOKEN_HOST}' means 127.0.0.1, a loopback address" in result.message
    assert f"{TOKEN_HOST}:{listener.port}" in result.message  # the allowlist entry to add
    assert resolver.asked == [TOKEN_HOST]  # resolved once, for the token URL only
    assert listener.accepted == 0
    assert SECRET not in result.message


def test_literal_private_token_url_is_refused_before_any_lookup() -> None:
    resolver = _resolving_to("93.184.216.34")
    http = OutboundClient(Settings(), resolver=resolver)
    with pytest.raises(
        BlockedAddressError, match=re.escape("10.1.2.3 is a private network address")
    ):
        client_credentials_token(
            http,
            "https://10.1.2.3/token",
            deadline=Deadline(10),
            guarded=True,
            client_id="al-client",
            client_secret=SECRET,
        )
    assert resolver.asked == []


def test_allowlisted_token_host_is_reached_at_the_pinned_address(listener: _Listener) -> None:
    """The control for the test above: allowlisted, the same request does connect."""
    resolver = _resolving_to("127.0.0.1")
    http = OutboundClient(
        Settings(allowed_hosts=[f"{TOKEN_HOST}:{listener.port}"]), resolver=resolver
    )
    with pytest.raises(DeadlineExceeded):
        client_credentials_token(
            http,
            f"http://{TOKEN_HOST}:{listener.port}/token",
            deadline=Deadline(0.5),
            guarded=True,
            client_id="al-client",
            client_secret=SECRET,
        )
    assert listener.accepted == 1
    assert listener.got_request.is_set()


def test_hanging_token_endpoint_is_cut_at_the_deadline(listener: _Listener) -> None:
    """The token request itself stops at the deadline (not only the probe's waiter)."""
    http = OutboundClient(Settings(allowed_hosts=[f"127.0.0.1:{listener.port}"]))
    started = time.monotonic()
    with pytest.raises(
        DeadlineExceeded, match=re.escape("Timed out after 1 s waiting for 127.0.0.1")
    ):
        client_credentials_token(
            http,
            f"http://127.0.0.1:{listener.port}/token",
            deadline=Deadline(1.0),
            guarded=True,
            client_id="al-client",
            client_secret=SECRET,
        )
    elapsed = time.monotonic() - started
    assert listener.got_request.is_set()  # it hung after receiving the request
    assert 0.9 <= elapsed < 1.5, elapsed


def test_hanging_token_endpoint_fails_the_connection_test_by_its_deadline(
    listener: _Listener,
) -> None:
    settings = Settings(allowed_hosts=[f"127.0.0.1:{listener.port}"])
    adapter = GenericRestAdapter(settings, http=OutboundClient(settings))
    config = _oauth_config(f"http://127.0.0.1:{listener.port}/token")
    started = time.monotonic()
    result = adapter.test_connection(config, Deadline(1.0))
    assert time.monotonic() - started < 1.5
    assert not result.ok
    assert result.code == "TIMEOUT"
    assert "Timed out after 1 s" in result.message


_JSON = "application/json"
_ANSWERS = {  # last path segment → (status, content type, body)
    "token": (200, _JSON, json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": "at"})),
    "busy": (503, _JSON, json.dumps({"error": "temporarily_unavailable"})),
    "html": (200, "text/html", "<html>Sign in</html>"),
    "refused": (400, _JSON, json.dumps({"error": "invalid_client", "error_description": f"bad {SECRET}"})),
}  # fmt: skip


class _TokenEndpoint(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    forms: list[dict[str, str]] = []
    paths: list[str] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.forms.append({k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()})
        self.paths.append(self.path)
        status, kind, payload = _ANSWERS.get(self.path.rsplit("/", 1)[-1], _ANSWERS["token"])
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        if status == 503:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def token_endpoint() -> Iterator[tuple[str, type[_TokenEndpoint]]]:
    handler = type("Handler", (_TokenEndpoint,), {"forms": [], "paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_certificate_assertion_on_the_wire_verifies_as_entra_checks_it(
    token_endpoint: tuple[str, type[_TokenEndpoint]],
) -> None:
    authority, seen = token_endpoint
    client = EntraTokenClient(OutboundClient(Settings()))
    credential = ClientCertificate(demo.DEMO_CERT_PEM, demo.DEMO_KEY_PEM)
    for _ in range(2):
        client.cache.clear()
        token = client.token(
            authority=authority,
            tenant="contoso.onmicrosoft.com",
            client_id=demo.ENTRA_CLIENT_ID,
            scope="https://api.businesscentral.dynamics.com/.default",
            credential=credential,
            deadline=Deadline(5),
        )
        assert token.value == "at"
    token_url = f"{authority}/contoso.onmicrosoft.com/oauth2/v2.0/token"
    app = EntraApp(
        client_id=demo.ENTRA_CLIENT_ID,
        tenant_id="t",
        display_name="AccountLink",
        certificates=[EntraCertificate.from_pem(demo.DEMO_CERT_PEM)],
    )
    first, second = seen.forms
    for form in (first, second):
        assert set(form) == {
            "grant_type",
            "scope",
            "client_id",
            "client_assertion_type",
            "client_assertion",
        }
        assert form["grant_type"] == "client_credentials"
        assert form["client_id"] == demo.ENTRA_CLIENT_ID
        assert form["client_assertion_type"] == JWT_BEARER
        named = verify_client_assertion(
            form["client_assertion"],
            app=app,
            client_id=demo.ENTRA_CLIENT_ID,
            audiences={token_url},
        )
        assert named == demo.DEMO_CERT_X5T_S256  # PS256 first, named by x5t#S256
    # authlib's PrivateKeyJWT would reuse one claims dict: each request must carry its own jti.
    jtis = {_claims(form["client_assertion"])["jti"] for form in (first, second)}
    assert len(jtis) == 2
    claims = _claims(first["client_assertion"])
    assert claims["exp"] - claims["nbf"] == 600
    assert claims["iat"] == claims["nbf"]


def test_client_secret_is_posted_in_the_form(
    token_endpoint: tuple[str, type[_TokenEndpoint]],
) -> None:
    authority, seen = token_endpoint
    client = EntraTokenClient(OutboundClient(Settings()))
    client.token(
        authority=authority,
        tenant="contoso",
        client_id="cid",
        scope="https://x/.default",
        credential=ClientSecret("the-secret"),
        deadline=Deadline(5),
    )
    assert seen.forms == [
        {
            "grant_type": "client_credentials",
            "scope": "https://x/.default",
            "client_id": "cid",
            "client_secret": "the-secret",
        }
    ]


def _claims(assertion: str) -> dict[str, object]:
    return unverified_parts(assertion)[1]


@pytest.mark.parametrize(
    ("path", "transient", "fields", "words"),
    [
        ("busy", True, (), "The token URL is not answering normally (HTTP 503)"),
        ("html", False, ("token_url",), "with something that is not JSON"),
        ("refused", False, ("client_id", "client_secret"), "rejected the client ID or secret"),
    ],
)
def test_token_refusals_keep_their_failure_kind_and_fields(
    token_endpoint: tuple[str, type[_TokenEndpoint]],
    path: str,
    transient: bool,
    fields: tuple[str, ...],
    words: str,
) -> None:
    base, _ = token_endpoint
    settings = Settings(allowed_hosts=[f"127.0.0.1:{httpx.URL(base).port}"])
    adapter = GenericRestAdapter(settings, http=OutboundClient(settings))
    with pytest.raises(IntegrationError) as failure:
        adapter.push(_oauth_config(f"{base}/{path}", base_url=base), vouchers("r1", amount="42.00"))
    error = failure.value
    assert isinstance(error, TransientError if transient else PermanentError)
    assert error.fields == fields
    assert words in str(error)
    assert SECRET not in str(error)
    if transient:
        assert error.retry_after == 7

"""The guarded HTTP client: deadlines, redirects, named failures, and no secret in any message."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme

from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.contracts import ConnectionResult
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import (
    ConnectError,
    CrossHostRedirectError,
    DeadlineExceeded,
    DnsError,
    NotJsonError,
    OutboundClient,
    OutboundError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TlsError,
    TooManyRedirectsError,
    redact_url,
    retry_after_seconds,
    run_connection_test,
    scrub,
    system_resolver,
)
from accountlink_ui.settings import Settings

SECRET = "sk-live-Secret-9f8e7d6c"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._route()

    def _route(self) -> None:
        self.seen.append((self.command, self.path))
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/json":
            self._send(200, json.dumps({"ok": True}).encode(), "application/json")
        elif url.path == "/html":
            self._send(200, b"<html><body>Sign in</body></html>", "text/html; charset=utf-8")
        elif url.path == "/big":
            self._send(200, b"x" * 5000, "application/octet-stream")
        elif url.path == "/slow":
            time.sleep(float(query.get("s", ["2"])[0]))
            self._send(200, b"{}", "application/json")
        elif url.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif url.path == "/redirect":
            self.send_response(int(query.get("status", ["302"])[0]))
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"{}", "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    yield from _serve()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_base(ca: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("ledger.test").configure_cert(context)
    yield from _serve(context)


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert SECRET not in caplog.text


def client(**kwargs) -> OutboundClient:  # type: ignore[no-untyped-def]
    return OutboundClient(Settings(), **kwargs)


def get(http: OutboundClient, url: str, seconds: float = 5, **kwargs):  # type: ignore[no-untyped-def]
    return http.request("GET", url, deadline=Deadline(seconds), **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- answers ----------------------------------------------------------------------------------


def test_json_answer_is_read_in_full(base: str) -> None:
    reply = get(client(), f"{base}/json")
    assert (reply.status_code, reply.json(), reply.host) == (200, {"ok": True}, "127.0.0.1")


def test_non_json_answer_names_what_came_instead(base: str) -> None:
    reply = get(client(), f"{base}/html")
    with pytest.raises(NotJsonError) as caught:
        reply.json()
    assert str(caught.value).startswith(
        "127.0.0.1 answered HTTP 200 with something that is not JSON (text/html, 33 bytes)."
    )


def test_oversized_answer_is_refused(base: str) -> None:
    with pytest.raises(ResponseTooLargeError, match="more than 1 KiB"):
        get(client(), f"{base}/big", max_bytes=1024)


# --- failures with their own names -------------------------------------------------------------


def test_dns_failure_names_the_host() -> None:
    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(DnsError) as caught:
        get(client(resolver=resolver), "https://ledger.nowhere.example/api")
    assert str(caught.value) == (
        "Could not find the server 'ledger.nowhere.example': the DNS lookup failed (Name or "
        "service not known). Check the host name for typos."
    )
    assert caught.value.host == "ledger.nowhere.example"


def test_system_resolver_returns_addresses() -> None:
    assert ssrf.decode_ip_literal("127.0.0.1") in system_resolver("localhost", 80)


def test_refused_connection_is_a_connect_error() -> None:
    port = free_port()
    with pytest.raises(ConnectError) as caught:
        get(client(), f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {SECRET}"})
    assert str(caught.value) == (
        f"127.0.0.1:{port} refused the connection. Check the URL and port, and that the "
        "service is running."
    )


def test_untrusted_certificate_is_a_tls_error(tls_base: str) -> None:
    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        return system_resolver("127.0.0.1", port)

    port = httpx.URL(tls_base).port
    with pytest.raises(TlsError) as caught:
        get(client(resolver=resolver), f"https://ledger.test:{port}/json")
    assert str(caught.value).startswith("The secure (TLS) connection to ledger.test failed:")
    assert "certificate" in str(caught.value)


def test_certificate_for_another_name_is_a_tls_error(tls_base: str, ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with pytest.raises(TlsError, match=r"127\.0\.0\.1"):
        get(client(ssl_context=context), f"{tls_base}/json")


def test_pinned_address_still_verifies_the_certificate_by_name(
    tls_base: str, ca: trustme.CA
) -> None:
    """The socket goes to the vetted IP; TLS (SNI and verification) uses the typed name."""
    context = ssl.create_default_context()
    ca.configure_trust(context)

    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        assert host == "ledger.test"
        return system_resolver("127.0.0.1", port)

    http = OutboundClient(
        Settings(allowed_hosts=[f"ledger.test:{httpx.URL(tls_base).port}"]),
        ssl_context=context,
        resolver=resolver,
    )
    port = httpx.URL(tls_base).port
    reply = http.request(
        "GET", f"https://ledger.test:{port}/json", deadline=Deadline(5), guarded=True
    )
    assert reply.json() == {"ok": True}


# --- deadlines ----------------------------------------------------------------------------------


def test_slow_server_hits_the_deadline(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"Timed out after 0\.5 s waiting for 127\.0\.0\.1"):
        get(client(), f"{base}/slow?s=2", seconds=0.5)
    assert time.monotonic() - started < 1.0


def test_read_timeout_shorter_than_the_deadline_is_a_request_timeout(base: str) -> None:
    http = client(timeout=httpx.Timeout(5.0, read=0.3))
    with pytest.raises(RequestTimeoutError) as caught:
        get(http, f"{base}/slow?s=1", seconds=5)
    assert not isinstance(caught.value, DeadlineExceeded)
    assert str(caught.value) == "127.0.0.1 took too long to answer."


def test_dripping_body_is_abandoned_at_the_deadline(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        get(client(), f"{base}/drip", seconds=0.6)
    assert time.monotonic() - started < 1.0


def test_expired_deadline_sends_nothing(base: str) -> None:
    deadline = Deadline(0.0)
    before = len(_Handler.seen)
    with pytest.raises(DeadlineExceeded):
        client().request("GET", f"{base}/json", deadline=deadline)
    assert len(_Handler.seen) == before


def test_connection_test_answers_by_the_deadline_whatever_the_probe_does() -> None:
    release = threading.Event()

    def stuck_probe() -> ConnectionResult:
        release.wait(5)
        return ConnectionResult(ok=True, message="too late")

    started = time.monotonic()
    result = run_connection_test(stuck_probe, Deadline(0.3), "Sandbox Ledger")
    release.set()
    assert time.monotonic() - started < 0.5
    assert not result.ok
    assert result.message.startswith("Timed out after 0.3 s waiting for Sandbox Ledger.")
    assert 250 <= result.latency_ms < 500


def test_connection_test_over_a_dripping_server_returns_on_time(base: str) -> None:
    http = client()
    deadline = Deadline(0.8)
    started = time.monotonic()
    result = run_connection_test(
        lambda: ConnectionResult(ok=True, message=str(get(http, f"{base}/drip", seconds=5))),
        deadline,
        "the drip",
    )
    assert time.monotonic() - started < 1.0
    assert result.message.startswith("Timed out after 0.8 s waiting for the drip.")


def test_unhandled_outbound_error_becomes_a_failed_result() -> None:
    def probe() -> ConnectionResult:
        raise ConnectError("ledger.example:443 refused the connection.", host="ledger.example")

    result = run_connection_test(probe, Deadline(2), "Ledger")
    assert (result.ok, result.message) == (False, "ledger.example:443 refused the connection.")


def test_connection_test_label_can_follow_the_probe_stage() -> None:
    stage = ["Microsoft Entra ID"]

    def probe() -> ConnectionResult:
        stage[0] = "Business Central"
        time.sleep(1)
        return ConnectionResult(ok=True, message="late")

    result = run_connection_test(probe, Deadline(0.2), lambda: stage[0])
    assert "waiting for Business Central" in result.message


# --- redirects --------------------------------------------------------------------------------


def test_same_host_redirect_is_followed(base: str) -> None:
    reply = get(client(), f"{base}/redirect?to=/json")
    assert reply.json() == {"ok": True}
    assert str(reply.url).endswith("/json")


def test_more_than_three_redirects_are_refused(base: str) -> None:
    before = len(_Handler.seen)
    with pytest.raises(TooManyRedirectsError, match="more than 3 times"):
        get(client(), f"{base}/loop")
    assert len(_Handler.seen) - before == 4


def test_redirect_to_another_host_is_refused(base: str) -> None:
    port = httpx.URL(base).port
    with pytest.raises(CrossHostRedirectError) as caught:
        get(client(), f"{base}/redirect?to=http://localhost:{port}/json")
    assert str(caught.value).startswith("127.0.0.1 redirected to another host (localhost).")


def test_see_other_after_post_becomes_a_get(base: str) -> None:
    http = client()
    reply = http.request(
        "POST", f"{base}/redirect?status=303&to=/json", deadline=Deadline(5), json={"a": 1}
    )
    assert reply.json() == {"ok": True}
    assert _Handler.seen[-1] == ("GET", "/json")


# --- secrets stay out -------------------------------------------------------------------------


def test_log_lines_show_the_url_with_secret_parameters_masked(
    base: str, caplog: pytest.LogCaptureFixture
) -> None:
    get(
        client(),
        f"{base}/json",
        params={"tenant_key": SECRET, "page": "2"},
        secret_params=["tenant_key"],
    )
    assert (
        "tenant_key=%2A%2A%2A&page=2 -> 200" in caplog.text
        or "tenant_key=***&page=2" in caplog.text
    )


def test_redact_url_masks_known_secret_parameters_and_user_info() -> None:
    url = httpx.URL(f"https://user:{SECRET}@api.example.com/x?api_key={SECRET}&q=1")
    assert redact_url(url) == "https://api.example.com/x?api_key=***&q=1"


def test_scrub_removes_echoed_secrets() -> None:
    assert scrub(f"token {SECRET} is unknown", [SECRET, ""]) == "token *** is unknown"


def test_errors_never_carry_request_secrets(base: str) -> None:
    port = free_port()
    http = client()
    failures: list[OutboundError] = []
    for url in (f"http://127.0.0.1:{port}/?api_key={SECRET}", f"{base}/slow?s=1&api_key={SECRET}"):
        try:
            http.request(
                "POST",
                url,
                deadline=Deadline(0.3),
                headers={"Authorization": f"Bearer {SECRET}"},
                data={"client_secret": SECRET},
            )
        except OutboundError as exc:
            failures.append(exc)
    assert len(failures) == 2
    assert all(SECRET not in f"{exc} {exc!r} {exc.host}" for exc in failures)


@pytest.mark.parametrize(("value", "seconds"), [("7", 7.0), ("0", 0.0), ("soon", None)])
def test_retry_after_is_read_as_seconds(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": value})) == seconds


def test_retry_after_http_date_is_converted() -> None:
    from email.utils import formatdate

    wait = retry_after_seconds(
        httpx.Headers({"Retry-After": formatdate(time.time() + 60, usegmt=True)})
    )
    assert wait is not None and 55 <= wait <= 61

"""The SSRF guard: which addresses admin-typed URLs may reach, and that the check pins the socket.

Refusals are proven to happen before any socket is opened: ``connect_tcp`` is
spied on, and the spy itself refuses anything but loopback, so these tests
never send a packet to a private or metadata address.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest

from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import (
    BlockedAddressError,
    CrossHostRedirectError,
    InsecureUrlError,
    OutboundClient,
)
from accountlink_ui.settings import Settings

# --- the policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address (this machine)"),
        ("127.8.9.10", "a loopback address (this machine)"),
        ("::1", "a loopback address (this machine)"),
        ("10.0.0.1", "a private network address"),
        ("172.16.5.4", "a private network address"),
        ("192.168.1.1", "a private network address"),
        ("fd12:3456::1", "a private network address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "the unspecified address (this machine)"),
        ("::", "the unspecified address (this machine)"),
        ("100.64.0.1", "a carrier-grade NAT address (100.64.0.0/10)"),
        ("240.0.0.1", "a reserved address"),
        ("::ffff:127.0.0.1", "a loopback address (this machine) (written as IPv6)"),
        ("::ffff:169.254.169.254", "a cloud metadata address (written as IPv6)"),
        ("64:ff9b::a00:1", "a private network address (written as IPv6)"),
        ("2002:7f00:1::", "a loopback address (this machine) (written as IPv6)"),
    ],
)
def test_non_public_addresses_are_blocked_with_a_reason(address: str, reason: str) -> None:
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "52.1.2.3"])
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2852039166", "169.254.169.254"),
        ("[::1]", "::1"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_ip_literals_are_decoded_in_every_encoding(host: str, address: str) -> None:
    assert ssrf.decode_ip_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["api.example.com", "deadbeef", "1e100.net", "0x.example"])
def test_names_are_not_mistaken_for_ip_literals(host: str) -> None:
    assert ssrf.decode_ip_literal(host) is None


def test_one_private_answer_refuses_the_whole_host() -> None:
    answers = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.1")]
    refusal = ssrf.find_refusal("rebind.example", answers, allowed_hosts=(), port=443)
    assert refusal == ssrf.Refusal(answers[1], "a private network address")


def test_allowlist_matches_the_host_as_typed_or_the_address_it_spells() -> None:
    assert ssrf.is_allowlisted("LOCALHOST", 8000, ["localhost:8000"])
    assert ssrf.is_allowlisted("2130706433", 80, ["127.0.0.1:80"])
    assert ssrf.is_allowlisted("[::1]", 8443, ["[::1]:8443"])
    assert not ssrf.is_allowlisted("evil.example", 80, ["127.0.0.1:80"])


# --- the guard in the client ----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/redirect-to-private"):
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/latest/meta-data")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"host": self.headers["Host"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(host: str, family: socket.AddressFamily = socket.AF_INET) -> Iterator[int]:
    server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family})
    server = server_class((host, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    yield from _serve("127.0.0.1")


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket is opened to; anything but loopback fails the test at once."""
    seen: list[str] = []
    original = httpcore.SyncBackend.connect_tcp

    def spy(self, host: str, port: int, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(host)
        assert ipaddress.ip_address(host).is_loopback, f"test tried to connect to {host}"
        return original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", spy)
    return seen


def client(*allowed: str, resolver=None) -> OutboundClient:  # type: ignore[no-untyped-def]
    settings = Settings(allowed_hosts=list(allowed))
    if resolver is None:
        return OutboundClient(settings)
    return OutboundClient(settings, resolver=resolver)


def get(http: OutboundClient, url: str, *, guarded: bool = True):  # type: ignore[no-untyped-def]
    return http.request("GET", url, deadline=Deadline(5), guarded=guarded)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://localhost:{port}/", "Refused to call localhost: 'localhost' means 127.0.0.1, a loopback address"),
        ("https://127.0.0.1:{port}/", "Refused to call 127.0.0.1: 127.0.0.1 is a loopback address"),
        ("https://[::1]:{port}/", "Refused to call ::1: ::1 is a loopback address"),
        ("https://10.0.0.1/", "Refused to call 10.0.0.1: 10.0.0.1 is a private network address"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud metadata address"),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://2130706433/", "Refused to call 2130706433: '2130706433' means 127.0.0.1, a loopback"),
        ("https://0x7f.1:{port}/", "'0x7f.1' means 127.0.0.1, a loopback address"),
        ("https://[::ffff:10.0.0.1]/", "a private network address (written as IPv6)"),
    ],
)  # fmt: skip
def test_internal_addresses_are_refused_before_connecting(
    url: str, message: str, port: int, connects: list[str]
) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        get(client(), url.format(port=port))
    assert message in str(caught.value)
    assert "ACCOUNTLINK_ALLOWED_HOSTS" in str(caught.value)
    assert connects == []


def test_name_resolving_to_a_private_address_is_refused(connects: list[str]) -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address("10.0.0.1")]

    with pytest.raises(BlockedAddressError) as caught:
        get(client(resolver=resolver), "https://intranet.example.com/api")
    assert str(caught.value).startswith(
        "Refused to call intranet.example.com: 'intranet.example.com' means 10.0.0.1, "
        "a private network address."
    )
    assert caught.value.address == "10.0.0.1"
    assert lookups == ["intranet.example.com"]
    assert connects == []


def test_name_with_one_private_answer_among_public_ones_is_refused(connects: list[str]) -> None:
    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("169.254.169.254")]

    with pytest.raises(BlockedAddressError, match="cloud metadata"):
        get(client(resolver=resolver), "https://rebind.example.com/")
    assert connects == []


def test_plain_http_is_refused_for_hosts_not_allowlisted(connects: list[str]) -> None:
    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        raise AssertionError("no lookup should happen")

    with pytest.raises(InsecureUrlError, match=r"Use https for api\.example\.com"):
        get(client(resolver=resolver), "http://api.example.com/health")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:{port}/", "127.0.0.1:{port}"),
        ("http://localhost:{port}/", "localhost:{port}"),
        ("http://2130706433:{port}/", "127.0.0.1:{port}"),
    ],
)
def test_allowlisted_hosts_are_reached(
    url: str, allowed: str, port: int, connects: list[str]
) -> None:
    reply = get(client(allowed.format(port=port)), url.format(port=port))
    assert reply.status_code == 200
    assert connects and all(ipaddress.ip_address(h).is_loopback for h in connects)


def test_allowlisted_ipv6_loopback_is_reached(connects: list[str]) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        serving = _serve("::1", socket.AF_INET6)
        v6_port = next(serving)
    except OSError:
        pytest.skip("cannot bind ::1 here")
    try:
        assert get(client(f"[::1]:{v6_port}"), f"http://[::1]:{v6_port}/").status_code == 200
    finally:
        serving.close()


def test_operator_urls_are_not_vetted(port: int, connects: list[str]) -> None:
    assert get(client(), f"http://127.0.0.1:{port}/", guarded=False).status_code == 200


def test_redirect_from_allowlisted_host_to_private_address_is_refused(
    port: int, connects: list[str]
) -> None:
    with pytest.raises(CrossHostRedirectError) as caught:
        get(client(f"127.0.0.1:{port}"), f"http://127.0.0.1:{port}/redirect-to-private")
    assert "redirected to another host (10.0.0.1)" in str(caught.value)
    assert connects == ["127.0.0.1"]


def test_connection_is_pinned_to_the_vetted_address(port: int, connects: list[str]) -> None:
    """The name is resolved once; the socket goes to that IP; Host stays the typed name."""
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[ssrf.IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    http = client(f"ledger.test:{port}", resolver=resolver)
    first = get(http, f"http://ledger.test:{port}/")
    second = get(http, f"http://ledger.test:{port}/")
    assert first.json() == second.json() == {"host": f"ledger.test:{port}"}
    assert lookups == ["ledger.test"]  # the kept-alive connection is reused, no second lookup
    assert connects == ["127.0.0.1"]

"""The per-address sign-in throttle counts the real client, never a header anyone can set."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from accountlink_ui.web_session import client_address


def request(forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "headers": headers, "client": ("10.0.0.7", 5000)})


def test_without_trusted_proxies_the_socket_peer_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFLEX_TRUSTED_PROXY_HOPS", raising=False)
    assert client_address(request("198.51.100.9")) == "10.0.0.7"


def test_behind_one_trusted_proxy_its_forwarded_address_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFLEX_TRUSTED_PROXY_HOPS", "1")
    # A client may prepend anything; the proxy appends the address it saw last.
    assert client_address(request("6.6.6.6, 198.51.100.9")) == "198.51.100.9"
    assert client_address(request(None)) == "10.0.0.7"


def test_a_bad_hops_setting_falls_back_to_the_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLEX_TRUSTED_PROXY_HOPS", "many")
    assert client_address(request("198.51.100.9")) == "10.0.0.7"

"""The session token stays out of page scripts and Reflex's state; what a websocket client that
never signed in sends is refused, and the state files stay small whatever it sends.

The raw client below speaks what the browser speaks: Engine.IO 4 over a websocket to
``/_event``, Socket.IO namespace ``/_event``, event ``event`` with ``name``
(``state.<substate>.<handler>``), ``payload`` and ``router_data``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import simple_websocket
from playwright.sync_api import Browser, Page, expect

from accountlink_ui.demo import DEMO_PASSWORD
from accountlink_ui.ui.states.wizard import WizardState
from tests.support.browser import BF_ADMIN, sign_in_to_dashboard

SESSION_COOKIE = "accountlink_session"
WIZARD = WizardState.get_full_name()
STATE_FILE_BOUND = 64 * 1024
"""Bytes. A signed-in admin's states are a few kilobytes; the flood below grew the old
wizard's state file to 1.3 MB (one real run reached 4.5 MB)."""


def _state_files(states_dir: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in states_dir.rglob("*") if path.is_file()}


def _redis_values() -> list[bytes]:
    """Every value in the app's Redis state store, when it runs with one (REFLEX_REDIS_URL)."""
    url = os.environ.get("REFLEX_REDIS_URL")
    if not url:
        return []
    import redis

    client = redis.Redis.from_url(url)
    values = (
        client.get(key) for key in client.scan_iter(count=500) if client.type(key) == b"string"
    )
    return [value for value in values if value]


def _stored_states(states_dir: Path, since: float) -> list[bytes]:
    """What the state manager holds: ``.states`` files, or the Redis values with Redis.

    Reflex writes a session's state to disk about 2 s after it changes; wait for it.
    """
    if os.environ.get("REFLEX_REDIS_URL"):
        time.sleep(3)
        return _redis_values()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(path.stat().st_mtime >= since for path in _state_files(states_dir)):
            time.sleep(3)  # let the writes of the last events land too
            break
        time.sleep(0.5)
    return [path.read_bytes() for path in _state_files(states_dir)]


class RawClient:
    """A websocket client with no browser behind it."""

    def __init__(self, ws: simple_websocket.Client) -> None:
        self._ws = ws
        self.received: list[str] = []

    def send_event(self, handler: str, payload: object, *, state: str = WIZARD) -> None:
        event = {
            "name": f"{state}.{handler}",
            "payload": payload,
            "router_data": {
                "pathname": "/settings/integrations/new",
                "query": {},
                "asPath": "/settings/integrations/new",
            },
        }
        self._ws.send("42/_event," + json.dumps(["event", event]))

    def drain(self, seconds: float) -> list[str]:
        """Collect what the server sends for a while, answering its pings."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self._ws.receive(timeout=left)
            if message is None:
                continue
            if message == "2":
                self._ws.send("3")
                continue
            self.received.append(message if isinstance(message, str) else message.decode())
        return self.received


@contextmanager
def raw_client(base_url: str, cookie: str = "") -> Iterator[RawClient]:
    url = base_url.replace("http://", "ws://") + (
        f"/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}"
    )
    ws = simple_websocket.Client.connect(
        url, headers={"Cookie": cookie} if cookie else None, max_message_size=8 * 1024 * 1024
    )
    try:
        opened = ws.receive(timeout=30)
        assert opened and opened.startswith("0"), opened
        ws.send("40/_event,")
        client = RawClient(ws)
        deadline = time.monotonic() + 60  # a server just started answers its first one slowly
        while not any(m.startswith("40/_event") for m in client.received):
            assert time.monotonic() < deadline, f"no connect answer: {client.received}"
            client.drain(1)
        yield client
    finally:
        ws.close()


def _signed_in_cookie(base_url: str) -> str:
    answer = httpx.post(
        f"{base_url}/auth/sign-in",
        data={"email": BF_ADMIN, "password": DEMO_PASSWORD},
        headers={"Origin": base_url},
        timeout=15,
    )
    assert answer.status_code == 200, answer.text
    return f"{SESSION_COOKIE}={answer.cookies[SESSION_COOKIE]}"


def _flood(client: RawClient) -> None:
    """Undeclared keys, oversized values and Reflex's generic setter, as a script would send."""
    for n in range(12):
        client.send_event("set_value", {"key": f"junk_{n}", "value": "x" * 100_000})
        client.send_event("set_value", {"key": "base_url", "value": "y" * 150_000})
        client.send_event("check_value", {"key": "base_url", "value": "w" * 15_000})
        client.send_event("toggle_secret", {"key": f"junk_{n}" * 1000})
        client.send_event("setvar", {"var_name": "values", "value": {"k": "v" * 100_000}})
        entries = [[f"f{i}", "z" * 5000] for i in range(45)]
        client.send_event("submit_credentials", {"form": {"__reflex_form_data__": entries}})


@pytest.mark.parametrize("signed_in", [False, True], ids=["never-signed-in", "signed-in"])
def test_raw_websocket_flood_is_refused_and_state_files_stay_small(
    app_server: str, app_states_dir: Path, signed_in: bool
) -> None:
    started = time.time()
    cookie = _signed_in_cookie(app_server) if signed_in else ""
    with raw_client(app_server, cookie) as client:
        _flood(client)
        answers = "\n".join(client.drain(8))
    if signed_in:
        assert "That request was refused" in answers, answers[:2000]
    else:
        assert "_redirect" in answers and "/login" in answers, answers[:2000]
        assert "That request was refused" not in answers, "refused as not signed in, first"
    stored = _stored_states(app_states_dir, started)
    assert stored, "the state manager wrote nothing to look at"
    largest = max(len(state) for state in stored)
    assert largest < STATE_FILE_BOUND, f"a stored state grew to {largest} bytes"
    # The server is still serving pages.
    assert httpx.get(f"{app_server}/ping", timeout=5).status_code == 200


def _session_cookie(page: Page) -> dict:  # type: ignore[type-arg]
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return cookie  # type: ignore[return-value]


def test_session_cookie_is_httponly_and_no_state_holds_the_token(
    page: Page, app_states_dir: Path
) -> None:
    started = time.time()
    page.goto("/login")
    page.get_by_label("Email").fill(BF_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")  # Enter submits, as before
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)
    cookie = _session_cookie(page)
    token = cookie["value"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    assert token not in page.content()

    page.goto("/settings/integrations/new")  # another page, more state written
    expect(page.get_by_text("Which accounting system?")).to_be_visible(timeout=15_000)
    stored = _stored_states(app_states_dir, started)
    assert stored, "the state manager wrote nothing to look at"
    assert [state for state in stored if token.encode() in state] == [], (
        "the session token was written into a state file or Redis value"
    )


def test_old_cookie_is_refused_after_sign_out(
    page: Page, browser: Browser, app_server: str
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    old = _session_cookie(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    # Someone kept a copy of the cookie: it no longer signs anyone in.
    replay = browser.new_context(base_url=app_server)
    try:
        replay.add_cookies([{k: old[k] for k in ("name", "value", "domain", "path")}])
        tab = replay.new_page()
        tab.goto("/settings/integrations")
        expect(tab).to_have_url(re.compile(r"/login/?$"), timeout=15_000)
    finally:
        replay.close()

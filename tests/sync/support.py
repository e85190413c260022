"""Helpers for sync tests: drafts that reach the sandbox, and a lost-answer fault.

The sandbox's own ``slow`` fault waits *before* the endpoint reads the request,
so a client that times out meanwhile leaves nothing behind: the target never
got the batch. The case that threatens exactly-once is the opposite one (the
target stored the batch and the answer was lost), so :class:`AnswerLoss` wraps
the sandbox app: the request is handled in full (records stored), then the
answer is held back past the client's read timeout.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft


@dataclass
class _Armed:
    path_part: str
    after: int
    times: int
    passed: int = 0
    fired: int = 0


class AnswerLoss:
    """Handle matching POSTs in full, then answer only after ``delay`` seconds."""

    def __init__(self, app: ASGIApp, delay: float) -> None:
        self.app = app
        self.delay = delay
        self._armed: _Armed | None = None
        self._lock = threading.Lock()

    def arm(self, path_part: str, *, after: int = 0, times: int = 1) -> None:
        """Let ``after`` matching POSTs through, then lose the answers of the next ``times``."""
        with self._lock:
            self._armed = _Armed(path_part, after, times)

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    @property
    def fired(self) -> int:
        with self._lock:
            return self._armed.fired if self._armed else 0

    def _take(self, scope: Scope) -> bool:
        with self._lock:
            armed = self._armed
            if armed is None or scope.get("method") != "POST":
                return False
            if armed.path_part not in scope.get("path", ""):
                return False
            if armed.passed < armed.after:
                armed.passed += 1
                return False
            if armed.fired >= armed.times:
                return False
            armed.fired += 1
            return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._take(scope):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(self.delay)  # the client has given up by now
        for message in held:
            await send(message)


def xledger_draft(token: str = demo.XLEDGER_DEMO_TOKEN) -> ConnectionDraft:
    return ConnectionDraft("xledger", "sandbox", "api_token", {"api_token": token})


def business_central_draft(secret: str = demo.ENTRA_CLIENT_SECRET) -> ConnectionDraft:
    return ConnectionDraft(
        "dynamics",
        "sandbox",
        "client_secret",
        {
            "product": "business_central",
            "tenant_id": demo.ENTRA_TENANT_ID,
            "client_id": demo.ENTRA_CLIENT_ID,
            "bc_environment": demo.BC_ENVIRONMENT,
            "client_secret": secret,
        },
    )


def rest_draft(base: str, api_key: str = demo.REST_API_KEY) -> ConnectionDraft:
    return ConnectionDraft(
        "generic_rest",
        "sandbox",
        "api_key_header",
        {
            "base_url": f"{base}/rest",
            "health_path": "/health",
            "expected_status": "200",
            "records_path": "/expenses",
            "header_name": demo.REST_API_KEY_HEADER,
            "api_key": api_key,
        },
    )

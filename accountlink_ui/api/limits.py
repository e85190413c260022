"""Limits that keep one caller from exhausting the API or the accounting systems behind it.

Bodies are capped before any route runs. Connection tests and syncs call the
organization's accounting system, which rate-limits AccountLink in turn (Xledger
answers BURST_RATE_LIMIT_REACHED), so each token gets its own small budget.
The budget is kept in process memory: with several backend workers each worker
keeps its own, which bounds the total at workers x limit.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether declared or streamed.

    A streamed (chunked) body is read up to the cap before any route runs and then
    replayed, so the cap holds even for routes that never read their body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "detail": f"The request body is larger than {self.max_bytes // 1024} KiB; "
                "this API accepts small JSON bodies only."
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class RateLimit:
    calls: int = 10
    per_seconds: float = 60.0


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    """Whole seconds until one more call is allowed (the Retry-After header)."""


class RateLimiter:
    """A sliding window per key: at most ``calls`` in any ``per_seconds``."""

    def __init__(
        self, limit: RateLimit = RateLimit(), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._calls: dict[tuple[object, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, *key: object) -> Refusal | None:
        """Count one call for ``key``; a Refusal (and no count) when the budget is spent."""
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.limit.per_seconds:
                calls.popleft()
            if len(calls) >= self.limit.calls:
                wait = calls[0] + self.limit.per_seconds - now
                return Refusal(retry_after=max(1, math.ceil(wait)))
            calls.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

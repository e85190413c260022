"""Limits that keep one caller from exhausting the API: bodies are capped before any route runs.

The per-token and per-organization call budgets are a service
(``services/rate_limits.py``, reached through the service container).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
MAX_CLAIMS_BODY_BYTES = 1024 * 1024
"""POST /claims: a batch of 500 claims at their longest fields fits in 1 MiB."""


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether declared or streamed.

    A streamed (chunked) body is read up to the cap before any route runs and then
    replayed, so the cap holds even for routes that never read their body.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}
        """(method, path ending) → a larger cap for that route (POST /claims)."""

    def _cap(self, scope: Scope) -> int:
        path = str(scope.get("path", "")).rstrip("/")
        for (method, ending), cap in self.larger.items():
            if scope.get("method") == method and path.endswith(ending):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > cap:
                await self._refuse(send, cap)
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
            if size > cap:
                await self._refuse(send, cap)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, cap: int) -> None:
        body = json.dumps(
            {
                "detail": f"The request body is larger than {cap // 1024} KiB; "
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

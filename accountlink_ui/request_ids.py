"""A request id that follows one piece of work from the page or the API to the outbound call.

Bound in a context variable where work enters the app: each HTTP request
(``RequestIdMiddleware``; a well-formed ``X-Request-Id`` from the caller or the proxy is
kept, anything else is replaced), each page event (``ui/event_guard.py``) and each
scheduled sync. Context variables follow ``await``, ``asyncio.to_thread`` and Starlette's
thread pool by themselves; our own pools copy the context when a task is submitted
(``services/work.py``). The guarded HTTP client sends it on every outbound call as
``X-Request-Id`` and every log line carries it (``logs.py``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-Id"
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
"""What we accept from a caller: long enough to be unique, short and plain enough that it
cannot carry anything into a log line or an outbound header."""

_current: ContextVar[str | None] = ContextVar("accountlink_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(8)


def accepted(value: str | None) -> str:
    """The caller's id when it is well-formed, else a fresh one."""
    if value and _VALID.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


def bind(request_id: str) -> None:
    """For this context from here on (a page event: the next event binds its own)."""
    _current.set(request_id)


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """Binds an id to each HTTP request and answers with it in ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = accepted(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with bound(request_id):
            await self.app(scope, receive, send_with_id)

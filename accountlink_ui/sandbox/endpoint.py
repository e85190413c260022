"""What every sandboxed endpoint does before its own work: log, then maybe fail.

Each system declares a `SystemProfile` (how to read the credential a request
presents, how its errors look, its own fault modes); `endpoint()` wraps a
handler so the request is logged and an armed fault answers instead of it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from accountlink_ui.sandbox.faults import Fault
from accountlink_ui.sandbox.state import SandboxState

Handler = Callable[[Request], Awaitable[Response]]
# (request, HTTP status, reason) -> the system's own error response.
# reason is one of "server_error", "rate_limited", "timeout".
ErrorRenderer = Callable[[Request, int, str], Response]
FaultRenderer = Callable[[Request, Fault], Awaitable[Response]]
# -> (auth scheme, credential value) as presented, either may be None.
CredentialReader = Callable[[Request], Awaitable[tuple[str | None, str | None]]]

MALFORMED_JSON = b'{"value": [{"id": "7f3c'
HANG_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class SystemProfile:
    """How one sandboxed system presents credentials, errors and its own faults."""

    system: str
    read_credential: CredentialReader
    error: ErrorRenderer
    special_faults: Mapping[str, FaultRenderer] = field(default_factory=dict)


def endpoint(
    state: SandboxState, profile: SystemProfile, handler: Handler, *, faultable: bool = True
) -> Handler:
    """Wrap `handler` with request logging and, if `faultable`, the system's armed fault."""

    async def run(request: Request) -> Response:
        scheme, credential = await profile.read_credential(request)
        entry = state.log_request(
            profile.system,
            method=request.method,
            path=route_path(request),
            query=request.url.query,
            auth_scheme=scheme,
            credential=credential,
        )
        fault = state.take_fault(profile.system) if faultable else None
        if fault is not None:
            state.note_fault(entry, fault.mode)
        response = await fault_response(state, request, fault, profile) if fault else None
        if response is None:
            response = await handler(request)
        if fault is not None and fault.mode == "lost_answer":
            await _hold(state, request, fault.duration)  # handled and stored; answer late
        state.complete_request(entry, response.status_code, fault.mode if fault else None)
        return response

    return run


async def fault_response(
    state: SandboxState, request: Request, fault: Fault, profile: SystemProfile
) -> Response | None:
    """The response an armed fault gives, or None to answer normally (after `slow`)."""
    mode = fault.mode
    if mode == "lost_answer":
        return None  # answered normally, then held back by `endpoint`
    if mode == "slow":
        await asyncio.sleep(fault.duration)
        return None
    if mode == "hang":
        await _hang(state, request, fault.duration)
        return profile.error(request, 504, "timeout")
    if mode == "http_500":
        return profile.error(request, 500, "server_error")
    if mode == "rate_limit":
        response = profile.error(request, 429, "rate_limited")
        response.headers["Retry-After"] = str(math.ceil(fault.duration))
        return response
    if mode == "malformed_json":
        return Response(MALFORMED_JSON, status_code=200, media_type="application/json")
    return await profile.special_faults[mode](request, fault)


async def _hang(state: SandboxState, request: Request, seconds: float) -> None:
    """Sleep without blocking the server, but stop early when nobody is waiting any more.

    That is: the client gave up, the faults were cleared, or the server is
    stopping (`SandboxState.release_hangs`), so shutdown never waits out a hang.
    """
    await request.body()  # read it first: disconnect polling would otherwise eat it
    await _hold(state, request, seconds)


async def _hold(state: SandboxState, request: Request, seconds: float) -> None:
    """`_hang`'s wait, for a request whose body was already read (by the handler)."""
    epoch = state.hang_epoch
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(HANG_POLL_SECONDS, remaining))
        if state.hang_epoch != epoch or await request.is_disconnected():
            return


def route_path(request: Request) -> str:
    """The request path relative to the sandbox root, so logs read the same when mounted."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def sandbox_root(request: Request) -> str:
    """The absolute URL of the sandbox root, honouring a Mount prefix or a proxy root path."""
    base = request.base_url
    return f"{base.scheme}://{base.netloc}{request.scope.get('root_path', '')}".rstrip("/")


def authorization(request: Request) -> tuple[str | None, str | None]:
    """Split the Authorization header into (lower-case scheme, value)."""
    header = request.headers.get("authorization")
    if not header:
        return None, None
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip() or None


async def read_bearer(request: Request) -> tuple[str | None, str | None]:
    """Credential reader for APIs that take `Authorization: Bearer <token>`."""
    return authorization(request)


async def form_fields(request: Request) -> dict[str, str]:
    """The form-encoded body as a dict (last value wins); empty if it is not a form.

    Parsed here rather than with `request.form()` so the sandbox does not depend
    on python-multipart.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))

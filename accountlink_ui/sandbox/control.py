"""The `/_control` API: drive a running sandbox from another process.

Tests and demos arm faults, reset, rotate credentials, change settings and the
demo chart, and read what arrived (records, request log, ledger readback)
without importing the server's memory. It has no authentication: it is a
sandbox for demos and tests, never exposed as part of a production system.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox.faults import check_system
from accountlink_ui.sandbox.ledger import ledger
from accountlink_ui.sandbox.state import SandboxState


def _unprocessable(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, 422)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as error:
        raise ValueError("The body must be a JSON object.") from error
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    return body


def _guarded(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Turn a ValueError (unknown system, mode, bad field) into a 422 with its message."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except (ValueError, TypeError) as error:
            return _unprocessable(str(error))

    return run


def control_routes(state: SandboxState) -> list[Route]:
    """Routes under /_control."""

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            body = await _json_object(request)
            unknown = set(body) - {"system", "mode", "times", "after", "seconds"}
            if unknown:
                raise ValueError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
            if not isinstance(body.get("system"), str) or not isinstance(body.get("mode"), str):
                raise ValueError("'system' and 'mode' are required strings.")
            state.set_fault(
                body["system"],
                body["mode"],
                times=body.get("times"),
                after=body.get("after", 0),
                seconds=body.get("seconds"),
            )
        elif request.method == "DELETE":
            state.clear_faults(request.query_params.get("system"))
        return JSONResponse({"faults": state.faults()})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"status": "reset"})

    async def received(request: Request) -> Response:
        return JSONResponse(state.received(request.path_params["system"]))

    async def stored(request: Request) -> Response:
        return JSONResponse(state.stored(request.path_params["system"]))

    async def requests(request: Request) -> Response:
        return JSONResponse(state.request_log(request.path_params["system"]))

    async def settings(request: Request) -> Response:
        body = await _json_object(request) if request.method == "POST" else {}
        return JSONResponse(state.change_settings(body))

    async def ledger_readback(request: Request) -> Response:
        posted = request.query_params.get("posted")
        if posted not in (None, "true", "false"):
            raise ValueError("'posted' must be true or false.")
        return JSONResponse(
            ledger(
                state,
                request.path_params["system"],
                environment=request.query_params.get("environment"),
                posted=None if posted is None else posted == "true",
            )
        )

    async def chart(request: Request) -> Response:
        return JSONResponse(state.chart.public())

    async def chart_account(request: Request) -> Response:
        code = request.path_params["code"]
        if request.method == "DELETE":
            if not state.chart.remove_account(code):
                return JSONResponse({"detail": f"No account {code}."}, 404)
            return JSONResponse({"status": "removed"})
        body = await _json_object(request)
        unknown = set(body) - {"name", "category", "blocked"}
        if unknown:
            raise ValueError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        existing = state.chart.account(code)
        name = body.get("name", existing.name if existing else code)
        category = body.get("category", existing.category if existing else "Expense")
        blocked = body.get("blocked", existing.blocked if existing else False)
        if not isinstance(name, str) or not isinstance(category, str):
            raise ValueError("'name' and 'category' must be strings.")
        if not isinstance(blocked, bool):
            raise ValueError("'blocked' must be true or false.")
        account = state.chart.put_account(code, name, category=category, blocked=blocked)
        return JSONResponse(asdict(account))

    async def expire_tokens(request: Request) -> Response:
        state.credentials.expire_access_tokens()
        return JSONResponse({"status": "expired"})

    async def credentials(request: Request) -> Response:
        body = await _json_object(request)
        _change_credential(state, body)
        return JSONResponse({"status": "ok"})

    return [
        Route("/_control/faults", _guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_control/reset", _guarded(reset), methods=["POST"]),
        Route("/_control/received/{system}", _guarded(received)),
        Route("/_control/stored/{system}", _guarded(stored)),
        Route("/_control/requests/{system}", _guarded(requests)),
        Route("/_control/settings", _guarded(settings), methods=["GET", "POST"]),
        Route("/_control/ledger/{system}", _guarded(ledger_readback)),
        Route("/_control/chart", _guarded(chart)),
        Route(
            "/_control/chart/accounts/{code}",
            _guarded(chart_account),
            methods=["PUT", "DELETE"],
        ),
        Route("/_control/expire-tokens", _guarded(expire_tokens), methods=["POST"]),
        Route("/_control/credentials", _guarded(credentials), methods=["POST"]),
    ]


def _change_credential(state: SandboxState, body: dict[str, Any]) -> None:
    """Register or revoke a credential: {"system", "action", "value", ...options}."""
    system, action, value = body.get("system"), body.get("action"), body.get("value")
    if not isinstance(system, str):
        raise ValueError("'system' is required.")
    check_system(system)
    if action not in ("register", "revoke") or not isinstance(value, str) or not value:
        raise ValueError("'action' must be register or revoke, and 'value' a non-empty string.")
    creds = state.credentials
    if system == "xledger" and action == "register":
        creds.register_xledger_token(
            value,
            environment=body.get("environment", "demo"),
            scopes=tuple(body.get("scopes", ("read", "write"))),
        )
    elif system == "xledger":
        creds.revoke_xledger_token(value)
    elif system == "entra" and action == "register":
        creds.register_entra_secret(value, expires_at=body.get("expires_at"))
    elif system == "entra":
        creds.revoke_entra_secret(value)
    elif system == "rest" and action == "register":
        creds.register_rest_api_key(value)
    elif system == "rest":
        creds.revoke_rest_api_key(value)
    else:
        raise ValueError(f"{system} has no credentials of its own: they come from entra tokens.")

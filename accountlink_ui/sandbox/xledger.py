"""Xledger's GraphQL endpoint as served by the sandbox: demo and production.

`POST /xledger/{demo|production}/graphql` with `Authorization: token <API_TOKEN>`.
Errors come back as Xledger sends them: HTTP 200 with an `errors` list, except
an unknown token, whose status is configurable (401 by default, UNVERIFIED).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox.demo_credentials import XLEDGER_ENVIRONMENTS
from accountlink_ui.sandbox.endpoint import SystemProfile, authorization, endpoint
from accountlink_ui.sandbox.faults import Fault
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.sandbox.xledger_graphql import GraphQLSyntaxError, parse_operation
from accountlink_ui.sandbox.xledger_schema import execute, validate

BAD_TOKEN_FORMAT = 'Bad format for API Token. Expected header: "Authorization: token <your-token>"'
_GENERIC_ERRORS = {
    "server_error": ("INTERNAL_SERVER_ERROR", "An unexpected error occurred. Please try again."),
    "rate_limited": ("TOO_MANY_REQUESTS", "Too many requests. Retry after the given time."),
    "timeout": ("GATEWAY_TIMEOUT", "The request took too long to answer."),
}


def errors(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """An Xledger error response: `{"errors": [{"message", "code", ...}]}`."""
    return JSONResponse({"errors": [{"message": message, "code": code, **extra}]}, status)


def _error(request: Request, status: int, reason: str) -> Response:
    code, message = _GENERIC_ERRORS[reason]
    return errors(status, code, message)


async def _insufficient_credits(request: Request, fault: Fault) -> Response:
    reset_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=fault.duration)
    return errors(
        200,
        "BAD_REQUEST.INSUFFICIENT_CREDITS",
        "Insufficient credits to run this request.",
        extensions={"resetAt": reset_at.isoformat(timespec="seconds").replace("+00:00", "Z")},
    )


async def _burst_limit(request: Request, fault: Fault) -> Response:
    return errors(
        200,
        "BAD_REQUEST.BURST_RATE_LIMIT_REACHED",
        "Burst rate limit reached. Wait a few seconds before retrying.",
    )


async def _concurrency_limit(request: Request, fault: Fault) -> Response:
    return errors(
        200,
        "BAD_REQUEST.CONCURRENCY_LIMIT_REACHED",
        "Too many concurrent requests for this API token.",
    )


async def _query_timeout(request: Request, fault: Fault) -> Response:
    return errors(200, "BAD_REQUEST.QUERY_TIMEOUT", "Your query timed out.")


_SPECIAL_FAULTS = {
    "burst_limit": _burst_limit,
    "concurrency_limit": _concurrency_limit,
    "insufficient_credits": _insufficient_credits,
    "query_timeout": _query_timeout,
}


async def _read_token(request: Request) -> tuple[str | None, str | None]:
    return authorization(request)


def xledger_routes(state: SandboxState) -> list[Route]:
    """The GraphQL route for both Xledger environments."""
    profile = SystemProfile("xledger", _read_token, _error, _SPECIAL_FAULTS)

    async def graphql(request: Request) -> Response:
        environment = request.path_params["environment"]
        if environment not in XLEDGER_ENVIRONMENTS:
            return errors(404, "NOT_FOUND", f"No Xledger environment named {environment!r}.")
        scheme, value = authorization(request)
        if scheme != "token" or not value:
            return errors(200, "BAD_REQUEST.BAD_TOKEN_FORMAT", BAD_TOKEN_FORMAT)
        token = state.credentials.xledger_token(value)
        if token is None or token.environment != environment:
            return errors(
                state.xledger_invalid_token_status,
                "UNAUTHORIZED.INVALID_TOKEN",
                "The API token is not valid. A token works only in the environment "
                "(demo or production) where it was created, and demo tokens are wiped "
                "at each demo refresh.",
            )
        try:
            payload = json.loads(await request.body())
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return errors(400, "BAD_REQUEST", "The body must be JSON with a 'query' string.")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return errors(400, "BAD_REQUEST", "'variables' must be a JSON object.")
        try:
            operation = parse_operation(payload["query"], variables, payload.get("operationName"))
        except GraphQLSyntaxError as error:
            return errors(
                200,
                "GRAPHQL_PARSE_FAILED",
                str(error),
                locations=[{"line": error.line, "column": error.column}],
            )
        problems = validate(operation)
        if problems:
            return JSONResponse({"errors": [p.entry() for p in problems]}, 200)
        return JSONResponse(execute(state, token, operation), 200)

    return [
        Route(
            "/xledger/{environment}/graphql",
            endpoint(state, profile, graphql),
            methods=["POST"],
        )
    ]

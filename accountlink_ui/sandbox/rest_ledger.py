"""A generic REST accounting API ("Sandbox Ledger") for the "any REST API" integration type.

Routes under `/rest`: `GET /health` (the probe), `POST /oauth2/token` (client
credentials), `POST /expenses` and `GET /expenses`. Any of four auth styles
works: `X-API-Key` header, `?api_key=` query parameter, `Authorization: Bearer`
(static or OAuth-issued) and `Authorization: Basic`. Posting is idempotent per
`Idempotency-Key` header (whole batch) and per record `idempotency_key`/`id`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.endpoint import SystemProfile, authorization, endpoint, form_fields
from accountlink_ui.sandbox.state import SandboxState

SERVICE = "Sandbox Ledger"
REST_TOKEN_LIFETIME = 3600
_GENERIC = {
    "server_error": "internal server error",
    "rate_limited": "rate limit exceeded, retry after the Retry-After header",
    "timeout": "upstream timeout",
}
_CHALLENGE = {"WWW-Authenticate": f'Bearer realm="{SERVICE}", Basic realm="{SERVICE}"'}


def _error(request: Request, status: int, reason: str) -> Response:
    return JSONResponse({"error": _GENERIC[reason]}, status)


def _basic(value: str | None) -> tuple[str, str] | None:
    try:
        user, sep, password = base64.b64decode(value or "", validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


async def _read_credential(request: Request) -> tuple[str | None, str | None]:
    """The first credential presented, in the order `_authenticate` checks them."""
    if key := request.headers.get(demo.REST_API_KEY_HEADER):
        return "api_key_header", key
    if key := request.query_params.get(demo.REST_API_KEY_QUERY_PARAM):
        return "api_key_query", key
    scheme, value = authorization(request)
    if scheme == "basic":
        pair = _basic(value)
        return "basic", f"{pair[0]}:{pair[1]}" if pair else value
    return scheme, value


def _authenticate(state: SandboxState, request: Request) -> str | None:
    """None if the request is authenticated, else what was missing or wrong."""
    creds = state.credentials
    if key := request.headers.get(demo.REST_API_KEY_HEADER):
        return (
            None
            if creds.rest_api_key_valid(key)
            else f"Invalid API key in {demo.REST_API_KEY_HEADER}."
        )
    if key := request.query_params.get(demo.REST_API_KEY_QUERY_PARAM):
        return (
            None if creds.rest_api_key_valid(key) else "Invalid API key in the api_key parameter."
        )
    scheme, value = authorization(request)
    if scheme is None:
        return (
            f"Missing credentials: send an {demo.REST_API_KEY_HEADER} header, an "
            f"{demo.REST_API_KEY_QUERY_PARAM} query parameter, or an Authorization header "
            "(Bearer or Basic)."
        )
    if scheme == "bearer":
        return (
            None if value and creds.rest_bearer_valid(value) else "Invalid or expired bearer token."
        )
    if scheme == "basic":
        pair = _basic(value)
        if pair and creds.rest_basic_valid(*pair):
            return None
        return "Invalid username or password."
    return f"Unsupported Authorization scheme '{scheme}': use Bearer or Basic."


def rest_routes(state: SandboxState) -> list[Route]:
    """Health, token, and expenses routes; all but the token endpoint are faultable."""
    profile = SystemProfile("rest", _read_credential, _error)

    def refuse(request: Request) -> Response | None:
        problem = _authenticate(state, request)
        return JSONResponse({"error": problem}, 401, headers=_CHALLENGE) if problem else None

    async def health(request: Request) -> Response:
        return refuse(request) or JSONResponse({"status": "ok", "service": SERVICE})

    async def token(request: Request) -> Response:
        return await _token(state, request)

    async def expenses(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        if request.method == "GET":
            records = state.stored("rest")
            return JSONResponse({"records": records, "count": len(records)})
        return await _post_expenses(state, request)

    return [
        Route("/rest/health", endpoint(state, profile, health)),
        Route(
            "/rest/oauth2/token", endpoint(state, profile, token, faultable=False), methods=["POST"]
        ),
        Route("/rest/expenses", endpoint(state, profile, expenses), methods=["GET", "POST"]),
    ]


async def _token(state: SandboxState, request: Request) -> Response:
    form = await form_fields(request)
    if form.get("grant_type") != "client_credentials":
        return JSONResponse(
            {
                "error": "unsupported_grant_type",
                "error_description": "Only grant_type=client_credentials is supported.",
            },
            400,
        )
    scheme, value = authorization(request)
    pair = _basic(value) if scheme == "basic" else None
    client_id = form.get("client_id") or (pair[0] if pair else "")
    secret = form.get("client_secret") or (pair[1] if pair else "")
    if not state.credentials.rest_client_valid(client_id, secret):
        return JSONResponse(
            {
                "error": "invalid_client",
                "error_description": "Unknown client or wrong client secret.",
            },
            401,
        )
    scope = form.get("scope", "").strip() or demo.REST_OAUTH_SCOPE
    unknown = [s for s in scope.split() if s not in demo.REST_OAUTH_SCOPES]
    if unknown:
        return JSONResponse(
            {"error": "invalid_scope", "error_description": f"Unknown scope {unknown[0]!r}."}, 400
        )
    issued = state.credentials.issue_token(
        issuer="rest",
        client_id=client_id,
        tenant_id=None,
        resource=SERVICE,
        scope=scope,
        lifetime=REST_TOKEN_LIFETIME,
    )
    return JSONResponse(
        {
            "access_token": issued.value,
            "token_type": "Bearer",
            "expires_in": REST_TOKEN_LIFETIME,
            "scope": scope,
        },
        headers={"Cache-Control": "no-store"},
    )


async def _post_expenses(state: SandboxState, request: Request) -> Response:
    """Store a record or a batch; repeats are acknowledged with the first ledger ids."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "The body is not valid JSON."}, 400)
    if isinstance(body, dict) and "records" in body:
        records = body["records"]
    elif isinstance(body, list):
        records = body
    else:
        records = [body]
    if not isinstance(records, list) or not records:
        return JSONResponse(
            {"error": "'records' must be a non-empty list of expense objects."}, 422
        )
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            return JSONResponse({"error": f"records[{index}] is not a JSON object."}, 422)
    ledger_ids = [f"led_{state.next_id()}" for _ in records]
    batch_key = request.headers.get("idempotency-key")
    if batch_key:
        first, ledger_ids = state.claim_idempotency_key("rest", f"batch:{batch_key}", ledger_ids)
        if not first:
            state.record("rest", records, [])
            results = [
                {"index": i, "status": "duplicate", "ledger_id": ledger_id}
                for i, ledger_id in enumerate(ledger_ids)
            ]
            return _acknowledge(results, batch_key, replayed=True)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results, kept = [], []
    for index, (record, ledger_id) in enumerate(zip(records, ledger_ids, strict=True)):
        record_key = record.get("idempotency_key") or record.get("id")
        new, known_id = (
            state.claim_idempotency_key("rest", f"record:{record_key}", ledger_id)
            if record_key not in (None, "")
            else (True, ledger_id)
        )
        if new:
            kept.append({**record, "ledger_id": ledger_id, "received_at": now})
        results.append(
            {"index": index, "status": "created" if new else "duplicate", "ledger_id": known_id}
        )
    state.record("rest", records, kept)
    return _acknowledge(results, batch_key, replayed=False)


def _acknowledge(
    results: list[dict[str, Any]], batch_key: str | None, *, replayed: bool
) -> Response:
    created = sum(1 for r in results if r["status"] == "created")
    return JSONResponse(
        {
            "accepted": len(results),
            "created": created,
            "duplicates": len(results) - created,
            "idempotency_key": batch_key,
            "replayed": replayed,
            "results": results,
        },
        201 if created else 200,
    )

"""Business Central's API v2.0 as served by the sandbox.

Under `/businesscentral/v2.0/{tenant}/{environment}/api/v2.0`: `companies` (the
probe), `companies({id})/journals`, and `companies({id})/journals({id})/journalLines`
(POST to book a line, GET with `$filter=documentNumber eq '...'` to reconcile).
Point the Business Central base URL at `<sandbox root>/businesscentral`.
The 404 body for an unknown environment is UNVERIFIED: `NoEnvironment` by
default; the `business_central_unknown_environment` setting switches it to
`BadRequest_ResourceNotFound`, an empty body or an HTML page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.endpoint import SystemProfile, endpoint, read_bearer, sandbox_root
from accountlink_ui.sandbox.odata import entra_bearer, odata_error
from accountlink_ui.sandbox.state import SandboxState

API = "/businesscentral/v2.0/{tenant}/{environment}/api/v2.0"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
ENVIRONMENTS = (demo.BC_ENVIRONMENT,)
LINE_TEXT_LIMITS = {
    "accountNumber": 20,
    "documentNumber": 20,
    "externalDocumentNumber": 35,
    "description": 100,
    "comment": 250,
    "taxCode": 20,
}
LINE_FIELDS = (*LINE_TEXT_LIMITS, "postingDate", "amount", "accountType", "lineNumber")
REQUIRED_LINE_FIELDS = ("accountNumber", "postingDate", "amount")
_CLAUSE = r"(\w+)\s+eq\s+('(?:[^']|'')*'|-?\d+(?:\.\d+)?)"
_FILTER = re.compile(rf"^\s*{_CLAUSE}(\s+and\s+{_CLAUSE})*\s*$")
_GENERIC = {
    "server_error": ("InternalServerError", "Something went wrong."),
    "rate_limited": ("Application_TooManyRequests", "Too many requests reached."),
    "timeout": ("GatewayTimeout", "The request took too long to answer."),
}
COMPANY = {
    "id": demo.BC_COMPANY_ID,
    "systemVersion": "24.0.16410.18056",
    "timestamp": 24712,
    "name": demo.BC_COMPANY_NAME,
    "displayName": demo.BC_COMPANY_NAME,
    "businessProfileId": "",
    "systemCreatedAt": "2024-01-15T08:00:00Z",
    "systemCreatedBy": ZERO_GUID,
    "systemModifiedAt": "2024-01-15T08:00:00Z",
    "systemModifiedBy": ZERO_GUID,
}
JOURNAL = {
    "id": demo.BC_JOURNAL_ID,
    "code": demo.BC_JOURNAL_CODE,
    "displayName": "General Journal",
    "templateDisplayName": "GENERAL",
    "lastModifiedDateTime": "2024-01-15T08:00:00Z",
    "balancingAccountId": ZERO_GUID,
    "balancingAccountNumber": "",
}


def _error(request: Request, status: int, reason: str) -> Response:
    code, message = _GENERIC[reason]
    return odata_error(status, code, message)


def _unknown_environment(answer: str, params: dict[str, Any]) -> Response:
    """The 404 for an environment the tenant does not have, in the shape the state asks for."""
    if answer == "empty":
        return Response(b"", 404)
    if answer == "html":
        page = (
            "<!DOCTYPE html><html><head><title>404 - Not Found</title></head><body></body></html>"
        )
        return Response(page, 404, media_type="text/html")
    if answer == "BadRequest_ResourceNotFound":
        return odata_error(404, answer, "Resource not found for the segment 'companies'.")
    return odata_error(
        404,
        "NoEnvironment",
        f"Environment '{params['environment']}' does not exist for this tenant.",
    )


def _context(request: Request, entity: str) -> str:
    params = request.path_params
    return (
        f"{sandbox_root(request)}/businesscentral/v2.0/{params['tenant']}/"
        f"{params['environment']}/api/v2.0/$metadata#{entity}"
    )


def _unquote_key(raw: str) -> str:
    return raw.strip().strip("'").lower()


def business_central_routes(state: SandboxState) -> list[Route]:
    """The Business Central routes; every one is logged and faultable."""
    profile = SystemProfile("business_central", read_bearer, _error)

    def refuse(request: Request) -> Response | None:
        """401 for a bad token, 404 for an unknown environment or company, else None."""
        params = request.path_params
        if entra_bearer(state, request, demo.BC_RESOURCE, params["tenant"]) is None:
            authorize = f"{sandbox_root(request)}/entra/{params['tenant']}/oauth2/authorize"
            return odata_error(
                401,
                "Authentication_InvalidCredentials",
                "The server has rejected the client credentials.",
                headers={
                    "WWW-Authenticate": f'Bearer authorization_uri="{authorize}", '
                    'error="invalid_token"'
                },
            )
        if params["environment"] not in ENVIRONMENTS:
            return _unknown_environment(state.business_central_unknown_environment, params)
        company = params.get("company_id")
        if company is not None and _unquote_key(company) != demo.BC_COMPANY_ID:
            return odata_error(
                404,
                "BadRequest_ResourceNotFound",
                "Resource not found for the segment 'companies'.",
            )
        journal = params.get("journal_id")
        if journal is not None and _unquote_key(journal) != demo.BC_JOURNAL_ID:
            return odata_error(
                404, "BadRequest_ResourceNotFound", "Resource not found for the segment 'journals'."
            )
        return None

    async def companies(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        return JSONResponse({"@odata.context": _context(request, "companies"), "value": [COMPANY]})

    async def journals(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        return JSONResponse(
            {
                "@odata.context": _context(request, f"companies({demo.BC_COMPANY_ID})/journals"),
                "value": [{"@odata.etag": 'W/"JzE5OzEyOyc="', **JOURNAL}],
            }
        )

    async def journal_lines(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        if request.method == "POST":
            return await _create_line(state, request)
        return _list_lines(state, request)

    lines_path = f"{API}/companies({{company_id}})/journals({{journal_id}})/journalLines"
    return [
        Route(f"{API}/companies", endpoint(state, profile, companies)),
        Route(f"{API}/companies({{company_id}})/journals", endpoint(state, profile, journals)),
        Route(lines_path, endpoint(state, profile, journal_lines), methods=["GET", "POST"]),
    ]


async def _create_line(state: SandboxState, request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return odata_error(400, "BadRequest", "Invalid Request Body.")
    problem = _line_problem(body)
    if problem:
        return odata_error(400, *problem)
    existing = state.count("business_central")  # per POST: a copy of every line was quadratic
    line = {
        "id": str(uuid.uuid4()),
        "journalId": demo.BC_JOURNAL_ID,
        "journalDisplayName": demo.BC_JOURNAL_CODE,
        "lineNumber": body.get("lineNumber") or 10000 * (existing + 1),
        "accountType": body.get("accountType", "G/L Account"),
        "accountId": ZERO_GUID,
        "accountNumber": body["accountNumber"],
        "postingDate": body["postingDate"],
        "documentNumber": body.get("documentNumber", ""),
        "externalDocumentNumber": body.get("externalDocumentNumber", ""),
        "amount": body["amount"],
        "description": body.get("description", ""),
        "comment": body.get("comment", ""),
        "taxCode": body.get("taxCode", ""),
        "balanceAccountType": "G/L Account",
        "balancingAccountId": ZERO_GUID,
        "balancingAccountNumber": "",
        "lastModifiedDateTime": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    state.record("business_central", [line], [line])
    context = _context(request, f"companies({demo.BC_COMPANY_ID})/journals/journalLines/$entity")
    return JSONResponse(
        {"@odata.context": context, "@odata.etag": 'W/"JzIwOzE2Oyc="', **line}, status_code=201
    )


def _line_problem(body: dict[str, Any]) -> tuple[str, str] | None:
    """(code, message) for the first thing wrong with a journal line, else None."""
    for key in body:
        if key not in LINE_FIELDS:
            return (
                "BadRequest",
                f"The property '{key}' does not exist on type 'Microsoft.NAV.journalLine'. "
                "Make sure to only use property names that are defined by the type.",
            )
    for key in REQUIRED_LINE_FIELDS:
        if body.get(key) in (None, ""):
            return "BadRequest", f"The property '{key}' is required."
    for key, limit in LINE_TEXT_LIMITS.items():
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            return (
                "BadRequest",
                f"Cannot convert a value to the expected type 'Edm.String' for '{key}'.",
            )
        if isinstance(value, str) and len(value) > limit:
            return (
                "Application_StringExceededLength",
                f"The length of the string is {len(value)}, but it must be less than or equal "
                f"to {limit} characters. Value: {value}",
            )
    if "lineNumber" in body and not _is_int(body["lineNumber"]):
        return (
            "BadRequest",
            "Cannot convert a value to the expected type 'Edm.Int32' for 'lineNumber'.",
        )
    amount = body["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return (
            "BadRequest",
            f"Cannot convert the literal '{amount}' to the expected type 'Edm.Decimal'.",
        )
    try:
        dt.date.fromisoformat(str(body["postingDate"]))
    except ValueError:
        return (
            "BadRequest",
            f"Cannot convert the literal '{body['postingDate']}' to the expected type 'Edm.Date'.",
        )
    return None


def _list_lines(state: SandboxState, request: Request) -> Response:
    lines = state.stored("business_central")
    expression = request.query_params.get("$filter")
    if expression:
        if not _FILTER.match(expression):
            return odata_error(400, "BadRequest", f"Invalid filter expression '{expression}'.")
        for name, literal in re.findall(_CLAUSE, expression):
            if name not in LINE_FIELDS and name not in ("id", "journalId"):
                return odata_error(
                    400,
                    "BadRequest",
                    f"Could not find a property named '{name}' on type 'Microsoft.NAV.journalLine'.",
                )
            value: Any = (
                literal[1:-1].replace("''", "'") if literal.startswith("'") else float(literal)
            )
            lines = [line for line in lines if line.get(name) == value]
    top = request.query_params.get("$top")
    if top is not None:
        if not top.isdigit():
            return odata_error(400, "BadRequest", f"Invalid value '{top}' for $top.")
        lines = lines[: int(top)]
    context = _context(request, f"companies({demo.BC_COMPANY_ID})/journals/journalLines")
    return JSONResponse({"@odata.context": context, "value": lines})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

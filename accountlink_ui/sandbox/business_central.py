"""Business Central's API v2.0 as served by the sandbox.

Under `/businesscentral/v2.0/{tenant}/{environment}/api/v2.0`: `companies` (the
probe); the company's `accounts`, `taxGroups`, `dimensions` (and their
`dimensionValues`), `employees`, `journals` and `generalLedgerEntries` (posted
lines); `journals({id})/journalLines` (POST to book a line, GET with
`$filter=documentNumber eq '...'` to reconcile open lines);
`journals({id})/Microsoft.NAV.post` (post the journal: 204, or 400 when a
document does not balance); and `$batch` (OData JSON batch, at most 100
requests, counted as one request in the log). Lists take `$filter` (`eq`
clauses joined by `and`), `$top` and `$skip`. Point the Business Central base
URL at `<sandbox root>/businesscentral`.

UNVERIFIED: the 404 code for an unknown environment (`NoEnvironment`); that
Business Central honours `atomicityGroup` in a JSON `$batch` (the sandbox does:
a group's changes are undone when one of its requests fails, and the others
answer 424); the error for a `$batch` of more than 100 requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.bc_journal import (
    LINE_FIELDS,
    SYSTEM,
    ZERO_GUID,
    line_problem,
    new_line,
    post_journal,
    public_line,
)
from accountlink_ui.sandbox.endpoint import SystemProfile, endpoint, read_bearer, sandbox_root
from accountlink_ui.sandbox.ledger import ledger
from accountlink_ui.sandbox.odata import entra_bearer, odata_error, odata_error_body
from accountlink_ui.sandbox.state import SandboxState

API = "/businesscentral/v2.0/{tenant}/{environment}/api/v2.0"
ENVIRONMENTS = (demo.BC_ENVIRONMENT,)
MAX_BATCH_REQUESTS = 100
FAILED_DEPENDENCY = "BadRequest_FailedDependency"  # UNVERIFIED, as atomicity groups are
MODIFIED = "2024-01-15T08:00:00Z"
_CLAUSE = r"(\w+)\s+eq\s+('(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false)"
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
    "lastModifiedDateTime": MODIFIED,
    "balancingAccountId": ZERO_GUID,
    "balancingAccountNumber": "",
}
EXPENSE_JOURNAL_BALANCING = "2910"
_JSON_HEADERS = {"content-type": "application/json; odata.metadata=minimal"}


@dataclass
class Answer:
    """What one API call answers: a status, an optional JSON body, extra headers."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        """As a Starlette response (a direct call)."""
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, self.status, headers=self.headers)


@dataclass
class Call:
    """One API call, direct or inside a `$batch`: path relative to `.../api/v2.0/`."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    base: str  # the absolute URL of .../api/v2.0, for @odata.context


def _error(request: Request, status: int, reason: str) -> Response:
    code, message = _GENERIC[reason]
    return odata_error(status, code, message)


def _fail(status: int, code: str, message: str) -> Answer:
    return Answer(status, odata_error_body(code, message))


def _not_found(segment: str) -> Answer:
    return _fail(
        404, "BadRequest_ResourceNotFound", f"Resource not found for the segment '{segment}'."
    )


def _key(raw: str) -> str:
    return raw.strip().strip("'").lower()


def journals(state: SandboxState) -> list[dict[str, Any]]:
    """The demo company's journal batches: GENERAL (no default balancing) and UTLEGG (2910)."""
    balancing = state.chart.account(EXPENSE_JOURNAL_BALANCING)
    return [
        dict(JOURNAL),
        {
            "id": demo.BC_EXPENSE_JOURNAL_ID,
            "code": demo.BC_EXPENSE_JOURNAL_CODE,
            "displayName": "Utlegg fra ansatte",
            "templateDisplayName": "GENERAL",
            "lastModifiedDateTime": MODIFIED,
            "balancingAccountId": balancing.guid if balancing else ZERO_GUID,
            "balancingAccountNumber": EXPENSE_JOURNAL_BALANCING,
        },
    ]


# --- the API ----------------------------------------------------------------------
_COMPANY = r"companies\(([^)/]*)\)"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^companies$"), "companies"),
    (
        re.compile(
            rf"^{_COMPANY}/(accounts|taxGroups|dimensions|employees|journals"
            r"|generalLedgerEntries)$"
        ),
        "list",
    ),
    (re.compile(rf"^{_COMPANY}/dimensions\(([^)/]*)\)/dimensionValues$"), "dimensionValues"),
    (re.compile(rf"^{_COMPANY}/journals\(([^)/]*)\)/journalLines$"), "journalLines"),
    (re.compile(rf"^{_COMPANY}/journals\(([^)/]*)\)/Microsoft\.NAV\.post$"), "post"),
]


def dispatch(state: SandboxState, call: Call) -> Answer:
    """Answer one call already authorized for the tenant and environment."""
    for pattern, kind in _ROUTES:
        match = pattern.match(call.path)
        if match is None:
            continue
        groups = match.groups()
        if kind != "companies" and _key(groups[0]) != demo.BC_COMPANY_ID:
            return _not_found("companies")
        allowed = {"journalLines": ("GET", "POST"), "post": ("POST",)}.get(kind, ("GET",))
        if call.method not in allowed:
            return _fail(
                405,
                "BadRequest_MethodNotAllowed",
                f"'{call.method}' requests for '{call.path}' are not allowed.",
            )
        return _HANDLERS[kind](state, call, groups)
    return _fail(
        404,
        "BadRequest_NotFound",
        f"No HTTP resource was found that matches the request URI '{call.path}'.",
    )


def _list(
    call: Call, items: list[dict[str, Any]], entity: str, fields: tuple[str, ...] | None = None
) -> Answer:
    """An OData collection with $filter (eq ... and ...), $top and $skip applied."""
    names = fields or (tuple(items[0]) if items else ())
    expression = call.query.get("$filter")
    if expression:
        if not _FILTER.match(expression):
            return _fail(400, "BadRequest", f"Invalid filter expression '{expression}'.")
        for name, literal in re.findall(_CLAUSE, expression):
            if name not in names:
                return _fail(
                    400,
                    "BadRequest",
                    f"Could not find a property named '{name}' on type 'Microsoft.NAV.{entity}'.",
                )
            value = _literal(literal)
            items = [item for item in items if _equal(item.get(name), value)]
    for option in ("$skip", "$top"):
        raw = call.query.get(option)
        if raw is None:
            continue
        if not raw.isdigit():
            return _fail(400, "BadRequest", f"Invalid value '{raw}' for {option}.")
        items = items[int(raw) :] if option == "$skip" else items[: int(raw)]
    context = f"{call.base}/$metadata#{entity}"
    return Answer(200, {"@odata.context": context, "value": items})


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    return float(text)


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool | str):
        return actual == wanted
    return not isinstance(actual, bool) and isinstance(actual, int | float) and actual == wanted


def _companies(state: SandboxState, call: Call, groups: tuple[str, ...]) -> Answer:
    return _list(call, [dict(COMPANY)], "companies")


def _entity_list(state: SandboxState, call: Call, groups: tuple[str, ...]) -> Answer:
    chart = state.chart
    kind = groups[1]
    items: list[dict[str, Any]]
    if kind == "accounts":
        items = [
            {
                "id": a.guid,
                "number": a.code,
                "displayName": a.name,
                "category": a.category,
                "subCategory": "",
                "blocked": a.blocked,
                "accountType": "Posting",
                "directPosting": True,
                "netChange": 0,
                "lastModifiedDateTime": MODIFIED,
            }
            for a in chart.account_list()
        ]
    elif kind == "taxGroups":
        items = [
            {
                "id": t.guid,
                "code": t.bc_code,
                "displayName": t.name,
                "taxType": "VAT",
                "lastModifiedDateTime": MODIFIED,
            }
            for t in chart.tax_codes
        ]
    elif kind == "dimensions":
        items = [
            {"id": d.guid, "code": d.code, "displayName": d.name, "lastModifiedDateTime": MODIFIED}
            for d in chart.dimensions
        ]
    elif kind == "employees":
        items = [
            {
                "id": e.guid,
                "number": e.number,
                "displayName": e.name,
                "givenName": e.name.split()[0],
                "surname": e.name.split()[-1],
                "status": "Active",
                "lastModifiedDateTime": MODIFIED,
            }
            for e in chart.employees
        ]
    elif kind == "journals":
        items = journals(state)
    else:
        items = _gl_entries(state)
    return _list(call, items, f"companies({demo.BC_COMPANY_ID})/{kind}")


def _gl_entries(state: SandboxState) -> list[dict[str, Any]]:
    """Posted lines as generalLedgerEntries: one per G/L side (VAT split included)."""
    entries = []
    chart = state.chart
    for number, entry in enumerate(ledger(state, "business_central", posted=True)["entries"], 1):
        account = chart.account(entry["account"])
        amount = entry["amount"]
        negative = amount.startswith("-")
        entries.append(
            {
                "id": f"{number:08x}-1111-4000-8000-{number:012x}",
                "entryNumber": number,
                "postingDate": entry["date"],
                "documentNumber": entry["voucher"],
                "documentType": "",
                "accountId": account.guid if account else ZERO_GUID,
                "accountNumber": entry["account"],
                "description": entry["text"],
                "debitAmount": 0 if negative else float(amount),
                "creditAmount": float(amount[1:]) if negative else 0,
                "lastModifiedDateTime": MODIFIED,
            }
        )
    return entries


def _dimension_values(state: SandboxState, call: Call, groups: tuple[str, ...]) -> Answer:
    dimension = next((d for d in state.chart.dimensions if d.guid == _key(groups[1])), None)
    if dimension is None:
        return _not_found("dimensions")
    items = [
        {
            "id": v.guid,
            "code": v.code,
            "dimensionId": dimension.guid,
            "displayName": v.name,
            "lastModifiedDateTime": MODIFIED,
        }
        for v in dimension.values
    ]
    return _list(call, items, f"companies({demo.BC_COMPANY_ID})/dimensions/dimensionValues")


def _journal(state: SandboxState, raw: str) -> dict[str, Any] | None:
    return next((j for j in journals(state) if j["id"] == _key(raw)), None)


def _journal_lines(state: SandboxState, call: Call, groups: tuple[str, ...]) -> Answer:
    journal = _journal(state, groups[1])
    if journal is None:
        return _not_found("journals")
    entity = f"companies({demo.BC_COMPANY_ID})/journals({journal['id']})/journalLines"
    if call.method == "GET":
        lines = [
            public_line(line)
            for line in state.stored(SYSTEM)
            if line["journalId"] == journal["id"] and not line["posted"]
        ]
        return _list(call, lines, entity, (*LINE_FIELDS, "id", "journalId"))
    try:
        body = json.loads(call.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _fail(400, "BadRequest", "Invalid Request Body.")
    problem = line_problem(state.chart, body)
    if problem:
        return _fail(400, *problem)
    line = new_line(state, journal, body)
    context = f"{call.base}/$metadata#{entity}/$entity"
    return Answer(201, {"@odata.context": context, "@odata.etag": 'W/"JzIwOzE2Oyc="', **line})


def _post(state: SandboxState, call: Call, groups: tuple[str, ...]) -> Answer:
    journal = _journal(state, groups[1])
    if journal is None:
        return _not_found("journals")
    problem = post_journal(state, journal["id"])
    if problem:
        return _fail(400, *problem)
    return Answer(204)


_HANDLERS: dict[str, Callable[[SandboxState, Call, tuple[str, ...]], Answer]] = {
    "companies": _companies,
    "list": _entity_list,
    "dimensionValues": _dimension_values,
    "journalLines": _journal_lines,
    "post": _post,
}


# --- $batch -----------------------------------------------------------------------
def run_batch(
    state: SandboxState, body: Any, base: str, authorized: Callable[[str | None], bool]
) -> Answer:
    """Run an OData JSON batch: each request as a direct call would run, in order.

    `authorized(header)` checks an inner request's own Authorization header (None:
    it has none and rides on the batch's). Requests sharing an `atomicityGroup`
    (adjacent, as OData requires) succeed or fail together.
    """
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        return _fail(400, "BadRequest", "The batch body must be JSON with a 'requests' array.")
    if len(requests) > MAX_BATCH_REQUESTS:
        return _fail(
            400,
            "BadRequest",
            f"The batch request contains {len(requests)} operations; at most "
            f"{MAX_BATCH_REQUESTS} operations are allowed in one batch.",
        )
    responses: list[dict[str, Any]] = []
    index = 0
    while index < len(requests):
        group = requests[index].get("atomicityGroup")
        end = index + 1
        while (
            group is not None
            and end < len(requests)
            and (requests[end].get("atomicityGroup") == group)
        ):
            end += 1
        responses.extend(_run_group(state, requests[index:end], base, authorized, group))
        index = end
    return Answer(200, {"responses": responses})


def _run_group(
    state: SandboxState,
    requests: list[dict[str, Any]],
    base: str,
    authorized: Callable[[str | None], bool],
    group: Any,
) -> list[dict[str, Any]]:
    """One request alone, or an atomicity group: all done, or none (424 for the rest).

    Nothing awaits between the requests of a group, so no other call interleaves
    and undoing the group's appends and posted flags restores the state exactly.
    """
    if group is None:
        return [_response(r, _run_one(state, r, base, authorized)) for r in requests]
    mark = state.mark(SYSTEM)
    posts = any("Microsoft.NAV.post" in str(r.get("url")) for r in requests)
    posted = (
        state.update_stored(SYSTEM, lambda items: [line["posted"] for line in items])
        if posts
        else []
    )
    answers: list[Answer] = []
    for request in requests:
        answers.append(_run_one(state, request, base, authorized))
        if answers[-1].status >= 400:
            break
    else:
        return [_response(r, a) for r, a in zip(requests, answers, strict=True)]
    failed = len(answers) - 1
    state.truncate(SYSTEM, mark)

    def unpost(items: list[dict[str, Any]]) -> None:
        for line, flag in zip(items, posted, strict=False):
            line["posted"] = flag

    if posts:
        state.update_stored(SYSTEM, unpost)
    culprit = requests[failed].get("id")
    dependent = f"Not done: request '{culprit}' in atomicity group '{group}' failed."
    return [
        _response(r, answers[i] if i == failed else _fail(424, FAILED_DEPENDENCY, dependent))
        for i, r in enumerate(requests)
    ]


def _run_one(
    state: SandboxState,
    request: dict[str, Any],
    base: str,
    authorized: Callable[[str | None], bool],
) -> Answer:
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or "id" not in request:
        return _fail(400, "BadRequest", "Each batch request needs 'id', 'method' and 'url'.")
    headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
    if not authorized(headers.get("authorization")):
        return _fail(
            401,
            "Authentication_InvalidCredentials",
            "The server has rejected the client credentials.",
        )
    parts = urlsplit(url)
    path = parts.path
    if "/api/v2.0/" in path:
        path = path.split("/api/v2.0/", 1)[1]
    body = request.get("body")
    raw = b"" if body is None else json.dumps(body).encode()
    call = Call(method.upper(), path.strip("/"), dict(parse_qsl(parts.query)), raw, base)
    return dispatch(state, call)


def _response(request: dict[str, Any], answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": request.get("id"),
        "status": answer.status,
        "headers": dict(_JSON_HEADERS) if answer.body is not None else {},
    }
    if answer.body is not None:
        out["body"] = answer.body
    return out


# --- routes -----------------------------------------------------------------------
def business_central_routes(state: SandboxState) -> list[Route]:
    """The Business Central routes; every one is logged and faultable (a `$batch` once)."""
    profile = SystemProfile("business_central", read_bearer, _error)

    def refuse(request: Request) -> Response | None:
        """401 for a bad token, 404 for an unknown environment, else None."""
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
            return odata_error(
                404,
                "NoEnvironment",
                f"Environment '{params['environment']}' does not exist for this tenant.",
            )
        return None

    def base(request: Request) -> str:
        params = request.path_params
        return (
            f"{sandbox_root(request)}/businesscentral/v2.0/{params['tenant']}/"
            f"{params['environment']}/api/v2.0"
        )

    async def api(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        call = Call(
            request.method,
            request.path_params["path"].strip("/"),
            dict(request.query_params),
            await request.body(),
            base(request),
        )
        return dispatch(state, call).response()

    async def batch(request: Request) -> Response:
        refused = refuse(request)
        if refused:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None

        def authorized(header: str | None) -> bool:
            if header is None:
                return True
            scheme, _, value = header.strip().partition(" ")
            token = state.credentials.active_token(value.strip(), "entra")
            tenant = state.credentials.resolve_tenant(request.path_params["tenant"])
            return (
                scheme.lower() == "bearer"
                and token is not None
                and token.resource == demo.BC_RESOURCE
                and tenant is not None
                and tenant.tenant_id == token.tenant_id
            )

        return run_batch(state, body, base(request), authorized).response()

    return [
        Route(f"{API}/$batch", endpoint(state, profile, batch), methods=["POST"]),
        Route(f"{API}/{{path:path}}", endpoint(state, profile, api), methods=["GET", "POST"]),
    ]

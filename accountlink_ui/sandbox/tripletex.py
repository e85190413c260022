"""Tripletex as the sandbox speaks it: session tokens, who-am-I, accounts, VAT types, vouchers.

Routes under ``/tripletex/{test|production}/v2`` (the test environment stands in for
``api-test.tripletex.tech``, production for ``tripletex.no``):

* ``PUT /token/session/:create?consumerToken=&employeeToken=&expirationDate=`` opens a
  session; later calls use HTTP Basic with user ``0`` and the session token.
* ``GET /token/session/>whoAmI`` names the employee and the company (``?fields=`` is
  accepted; the company's ``name`` is always included).
* ``GET /ledger/account?number=`` and ``GET /ledger/vatType?number=`` find ids; without
  ``number`` they list the demo chart (``sandbox/chart.py``).
* ``POST /ledger/voucher`` books a voucher whose postings (rows from 1, ``account {id}``,
  ``amountGross``, optional ``vatType {id}``) balance; anything else is refused as
  Tripletex refuses it: an error body with ``status``, ``code``, ``message``,
  ``validationMessages`` and ``requestId``. Nothing stops the same
  ``externalVoucherNumber`` from being booked twice (as far as we know Tripletex does not
  either: UNVERIFIED), so exactly-once is the client's job.
* ``GET /ledger/voucher/>externalVoucherNumber?externalVoucherNumber=`` finds vouchers
  by the integrator's own number.

An expired session token (``expire_sessions``) answers 401, as Tripletex does;
``refuse_sessions`` makes every new session answer 401 too. The exact
codes and wording of Tripletex's refusals of a bad consumer or employee token are
UNVERIFIED; the sandbox names the token at fault in ``validationMessages``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.chart import VAT_ACCOUNT
from accountlink_ui.sandbox.endpoint import SystemProfile, authorization, endpoint
from accountlink_ui.sandbox.plugins import SandboxSystem
from accountlink_ui.sandbox.state import SandboxState

SYSTEM = "tripletex"
ENVIRONMENTS = demo.TRIPLETEX_ENVIRONMENTS
SESSION_PREFIX = "sbx.tt."
CENT = Decimal("0.01")
_GENERIC = {
    "server_error": (1000, "Internal server error."),
    "rate_limited": (1100, "Too many requests."),
    "timeout": (1000, "Request timed out."),
}


def error(
    status: int, code: int, message: str, validation: tuple[tuple[str, str], ...] = ()
) -> JSONResponse:
    """Tripletex's error body: every refusal carries a requestId and validationMessages."""
    return JSONResponse(
        {
            "status": status,
            "code": code,
            "message": message,
            "link": "https://tripletex.no/v2-docs/",
            "developerMessage": None,
            "validationMessages": [{"field": f, "message": m} for f, m in validation] or None,
            "requestId": str(uuid.uuid4()),
        },
        status,
    )


def _generic_error(request: Request, status: int, reason: str) -> Response:
    code, message = _GENERIC[reason]
    return error(status, code, message)


def _session_token(request: Request) -> str | None:
    scheme, value = authorization(request)
    if scheme != "basic" or not value:
        return None
    try:
        user, sep, token = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return token if sep and user == "0" else None


async def _read_credential(request: Request) -> tuple[str | None, str | None]:
    if request.url.path.endswith(":create"):
        return "employee_token", request.query_params.get("employeeToken")
    scheme, _ = authorization(request)
    return scheme, _session_token(request)


def _sessions(state: SandboxState) -> dict[str, dict[str, Any]]:
    sessions: dict[str, dict[str, Any]] = state.extra[SYSTEM].setdefault("sessions", {})
    return sessions


def expire_sessions(state: SandboxState) -> int:
    """Every open session token expires now (what happens at its expirationDate); returns
    how many did."""
    sessions = _sessions(state)
    for session in sessions.values():
        session["expired"] = True
    return len(sessions)


def refuse_sessions(state: SandboxState) -> None:
    """From now on every session is refused as soon as it is opened (a token whose API
    access was withdrawn after the session was created, as far as the client can tell)."""
    state.extra[SYSTEM]["refuse_sessions"] = True


_EMPLOYEE_TOKENS = {
    demo.TRIPLETEX_EMPLOYEE_TOKEN: ("test", demo.TRIPLETEX_COMPANY),
    demo.TRIPLETEX_PRODUCTION_EMPLOYEE_TOKEN: ("production", demo.TRIPLETEX_PRODUCTION_COMPANY),
}


def _environment(request: Request) -> str:
    return str(request.path_params["environment"])


def _unauthorized() -> JSONResponse:
    response = error(401, 3000, "Unauthorized: the session token is missing, unknown or expired.")
    response.headers["WWW-Authenticate"] = 'Basic realm="Tripletex"'
    return response


def _session(state: SandboxState, request: Request) -> dict[str, Any] | None:
    token = _session_token(request)
    session = _sessions(state).get(token or "")
    if session is None or session["expired"] or session["environment"] != _environment(request):
        return None
    return session


def _chart_accounts(state: SandboxState) -> list[dict[str, Any]]:
    return [
        {"id": a.db_id, "number": int(a.code), "name": a.name, "isInactive": a.blocked}
        for a in state.chart.account_list()
    ]


def _vat_types(state: SandboxState) -> list[dict[str, Any]]:
    return [
        {"id": t.db_id, "number": t.code, "name": t.name, "percentage": float(t.rate * 100)}
        for t in state.chart.tax_codes
    ]


def _listing(values: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        {"fullResultSize": len(values), "from": 0, "count": len(values), "values": values}
    )


def _by_number(values: list[dict[str, Any]], request: Request) -> JSONResponse:
    wanted = request.query_params.get("number")
    if wanted:
        numbers = {n.strip() for n in wanted.split(",")}
        values = [v for v in values if str(v["number"]) in numbers]
    return _listing(values)


def tripletex_routes(state: SandboxState) -> list[BaseRoute]:
    profile = SystemProfile(SYSTEM, _read_credential, _generic_error)
    base = "/tripletex/{environment:str}/v2"

    async def create_session(request: Request) -> Response:
        environment = _environment(request)
        consumer = request.query_params.get("consumerToken", "")
        employee = request.query_params.get("employeeToken", "")
        expiration = request.query_params.get("expirationDate", "")
        problems: list[tuple[str, str]] = []
        if consumer != demo.TRIPLETEX_CONSUMER_TOKEN:
            problems.append(("consumerToken", "Ugyldig consumer token."))
        known = _EMPLOYEE_TOKENS.get(employee)
        if known is None or known[0] != environment:
            problems.append(("employeeToken", "Ugyldig employee token."))
        try:
            expires = dt.date.fromisoformat(expiration)
        except ValueError:
            problems.append(("expirationDate", "Dato må være på formatet ÅÅÅÅ-MM-DD."))
        else:
            if expires <= dt.date.today():
                problems.append(("expirationDate", "Utløpsdato må være fram i tid."))
        if problems:
            return error(403, 9000, "Token er ugyldig.", tuple(problems))
        assert known is not None
        token = SESSION_PREFIX + secrets.token_urlsafe(24)
        _sessions(state)[token] = {
            "environment": environment,
            "company": known[1],
            "expired": bool(state.extra[SYSTEM].get("refuse_sessions")),
        }
        return JSONResponse(
            {
                "value": {
                    "id": state.next_id(),
                    "version": 0,
                    "consumerToken": {"id": 11},
                    "employeeToken": {"id": 12},
                    "expirationDate": expiration,
                    "token": token,
                }
            }
        )

    async def who_am_i(request: Request) -> Response:
        session = _session(state, request)
        if session is None:
            return _unauthorized()
        return JSONResponse(
            {
                "value": {
                    "employeeId": demo.TRIPLETEX_EMPLOYEE_ID,
                    "actualEmployeeId": demo.TRIPLETEX_EMPLOYEE_ID,
                    "companyId": demo.TRIPLETEX_COMPANY_ID,
                    "employee": {"id": demo.TRIPLETEX_EMPLOYEE_ID},
                    "company": {"id": demo.TRIPLETEX_COMPANY_ID, "name": session["company"]},
                    "language": "no",
                }
            }
        )

    async def accounts(request: Request) -> Response:
        if _session(state, request) is None:
            return _unauthorized()
        return _by_number(_chart_accounts(state), request)

    async def vat_types(request: Request) -> Response:
        if _session(state, request) is None:
            return _unauthorized()
        return _by_number(_vat_types(state), request)

    async def post_voucher(request: Request) -> Response:
        if _session(state, request) is None:
            return _unauthorized()
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error(400, 4000, "Request body is not valid JSON.")
        return _book(state, _environment(request), body)

    async def find_by_external_number(request: Request) -> Response:
        if _session(state, request) is None:
            return _unauthorized()
        wanted = request.query_params.get("externalVoucherNumber", "")
        environment = _environment(request)
        found = [
            v
            for v in state.stored(SYSTEM)
            if v["environment"] == environment and v["externalVoucherNumber"] == wanted
        ]
        return _listing(found)

    def at(path: str, handler: Any, methods: list[str], *, faultable: bool = True) -> Route:
        return Route(
            f"{base}{path}", endpoint(state, profile, handler, faultable=faultable), methods=methods
        )

    return [
        at("/token/session/:create", create_session, ["PUT"], faultable=False),
        at("/token/session/>whoAmI", who_am_i, ["GET"]),
        at("/ledger/account", accounts, ["GET"]),
        at("/ledger/vatType", vat_types, ["GET"]),
        at("/ledger/voucher", post_voucher, ["POST"]),
        at("/ledger/voucher/>externalVoucherNumber", find_by_external_number, ["GET"]),
    ]


def _book(state: SandboxState, environment: str, body: Any) -> Response:
    """Store a balanced voucher, or refuse it the way Tripletex does (422 with the fields)."""
    if not isinstance(body, dict):
        return error(422, 15000, "Validering feilet.", (("", "Body must be a voucher object."),))
    problems: list[tuple[str, str]] = []
    try:
        date = dt.date.fromisoformat(str(body.get("date", "")))
    except ValueError:
        problems.append(("date", "Dato mangler eller er ugyldig."))
        date = None
    postings = body.get("postings")
    if not isinstance(postings, list) or not postings:
        problems.append(("postings", "Bilaget må ha posteringer."))
        postings = []
    accounts = {a.db_id: a for a in state.chart.account_list()}
    vat_types = {t.db_id: t for t in state.chart.tax_codes}
    rows: set[int] = set()
    total = Decimal(0)
    kept: list[dict[str, Any]] = []
    for index, posting in enumerate(postings):
        where = f"postings[{index}]"
        if not isinstance(posting, dict):
            problems.append((where, "Posteringen er ikke et objekt."))
            continue
        row = posting.get("row")
        if not isinstance(row, int) or isinstance(row, bool) or row < 1 or row in rows:
            problems.append((f"{where}.row", "Rad må være et unikt heltall fra 1."))
        else:
            rows.add(row)
        account_id = (posting.get("account") or {}).get("id")
        account = accounts.get(account_id) if isinstance(account_id, int) else None
        if account is None:
            problems.append((f"{where}.account", f"Konto med id {account_id} finnes ikke."))
        elif account.blocked:
            problems.append((f"{where}.account", f"Konto {account.code} er sperret for postering."))
        try:
            amount = Decimal(str(posting.get("amountGross")))
            if not amount.is_finite() or amount != amount.quantize(CENT):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append((f"{where}.amountGross", "Beløpet er ugyldig."))
            amount = Decimal(0)
        total += amount
        vat_id = (posting.get("vatType") or {}).get("id") if posting.get("vatType") else None
        vat = vat_types.get(vat_id) if isinstance(vat_id, int) else None
        if vat_id is not None and vat is None:
            problems.append((f"{where}.vatType", f"MVA-kode med id {vat_id} finnes ikke."))
        kept.append(
            {
                "row": row,
                "account": account.code if account else None,
                "amountGross": str(amount),
                "vatType": vat.code if vat else None,
                "description": posting.get("description"),
            }
        )
    if postings and total != 0:
        problems.append(("postings", f"Posteringene i bilaget går ikke i balanse ({total})."))
    external = body.get("externalVoucherNumber")
    if external is not None and (not isinstance(external, str) or len(external) > 70):
        problems.append(("externalVoucherNumber", "Maks 70 tegn."))
    if problems:
        return error(422, 15000, "Validering feilet.", tuple(problems))
    voucher = {
        "id": state.next_id(),
        "number": state.next_in_sequence(f"{SYSTEM}:{environment}:{date.year if date else 0}"),
        "year": date.year if date else None,
        "date": date.isoformat() if date else None,
        "description": body.get("description"),
        "externalVoucherNumber": external,
        "environment": environment,
        "postings": kept,
    }
    state.record(SYSTEM, [body], [voucher])
    return JSONResponse({"value": voucher}, 201)


def ledger_entries(
    state: SandboxState, environment: str | None
) -> tuple[list[dict[str, Any]], int]:
    """One entry per posting; a posting with a VAT type is split into net and VAT on 2710,
    as Tripletex books a gross amount (its rounding of the VAT is UNVERIFIED)."""
    entries: list[dict[str, Any]] = []
    vouchers = 0
    for voucher in state.stored(SYSTEM):
        if environment is not None and voucher["environment"] != environment:
            continue
        vouchers += 1
        common = {
            "voucher": str(voucher["number"]),
            "date": voucher["date"],
            "text": voucher["description"],
            "reference": voucher["externalVoucherNumber"],
            "environment": voucher["environment"],
            "dimensions": {},
        }
        for posting in voucher["postings"]:
            gross = Decimal(posting["amountGross"])
            tax = state.chart.tax_code(posting["vatType"]) if posting["vatType"] else None
            if tax is not None and tax.rate:
                net = (gross / (1 + tax.rate)).quantize(CENT, rounding=ROUND_HALF_UP)
                entries.append(
                    {**common, "account": posting["account"], "amount": net, "tax_code": tax.code}
                )
                entries.append(
                    {**common, "account": VAT_ACCOUNT, "amount": gross - net, "tax_code": tax.code}
                )
            else:
                entries.append(
                    {**common, "account": posting["account"], "amount": gross, "tax_code": None}
                )
    return entries, vouchers


SANDBOX_SYSTEM = SandboxSystem(
    name=SYSTEM,
    routes=tripletex_routes,
    endpoints=lambda root: {
        f"tripletex_{environment}_api": f"{root}/tripletex/{environment}/v2"
        for environment in ENVIRONMENTS
    },
    ledger=ledger_entries,
)

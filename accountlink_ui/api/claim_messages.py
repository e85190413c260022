"""The claims intake's refusals in words (DESIGN rule 11: the service gives codes)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from accountlink_ui.api.claim_schemas import (
    ClaimConflictOut,
    ClaimProblemOut,
    ClaimsConflictOut,
    ClaimsInvalidOut,
)
from accountlink_ui.services.claim_intake import ClaimProblem
from accountlink_ui.services.claim_intake_service import (
    ClaimsConflict,
    ClaimsInvalid,
    ClaimStateConflict,
    IdempotencyKeyReused,
    InvalidCursor,
)

MESSAGES = {
    "not_object": 'Send a JSON object: one claim, or {{"claims": [...]}} for a batch.',
    "not_list": "Send the claims as a JSON array.",
    "empty": "Send at least one claim.",
    "too_many": "Send at most {max} claims per request.",
    "unknown_field": "This field is not part of a claim; check its spelling.",
    "duplicate": "This id is used by claim {first} of the same request already.",
    "required": "Required.",
    "bad_external_id": "Use {rule}.",
    "not_text": "Send this as a JSON string.",
    "control_characters": "Remove the control characters (line breaks, tabs).",
    "too_long": "Use at most {max} characters (this has {length}).",
    "not_amount": 'Send an amount such as "1250.00": digits, a point, two decimals.',
    "amount_not_text": 'Send the amount as a string such as "1250.00" (a JSON number can '
    "lose cents).",
    "not_positive": "Must be more than 0.",
    "negative": "Must not be negative.",
    "too_large": "Must be at most {max}.",
    "too_many_decimals": "Use at most two decimals.",
    "vat_over_amount": "VAT cannot be more than the amount ({amount}).",
    "unknown_currency": "Use one of {accepted}.",
    "not_date": "Send a real date as YYYY-MM-DD.",
    "date_too_late": "Must be no later than {latest}.",
    "date_too_early": "Must be no earlier than {earliest}.",
    "unknown_category": "Use one of {accepted}.",
}
STATE_CONFLICTS = {
    "retry": "Only a refused claim can be retried; claim {claim} is {status}.",
    "withdraw": "Claim {claim} is {status}: only a claim not sent yet can be withdrawn.",
}


def problem_out(problem: ClaimProblem) -> ClaimProblemOut:
    message = MESSAGES.get(problem.code, problem.code).format(**problem.params)
    return ClaimProblemOut(
        index=problem.index, id=problem.external_id, field=problem.field, message=message
    )


def _where(index: int | None, external_id: str | None) -> str:
    """Which claim a problem is about; no index means the request as a whole."""
    return ("the request" if index is None else f"claim {index}") + (
        f" ({external_id})" if external_id else ""
    )


def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimsInvalid)
    errors = [problem_out(problem) for problem in exc.problems]
    detail = "Nothing was stored. " + " ".join(
        f"{_where(e.index, e.id)}, {e.field}: {e.message}" for e in errors[:20]
    )
    if len(errors) > 20:
        detail += f" … and {len(errors) - 20} more (see errors)."
    body = ClaimsInvalidOut(detail=detail, errors=errors)
    return JSONResponse(body.model_dump(), status_code=422)


def _conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimsConflict)
    conflicts = [
        ClaimConflictOut(index=c.index, id=c.external_id, fields=c.fields) for c in exc.conflicts
    ]
    detail = (
        "Nothing was stored: these claim ids were sent before with other values. "
        + " ".join(
            f"{_where(c.index, c.id)} differs in {', '.join(c.fields)}." for c in conflicts[:20]
        )
        + " A claim cannot be changed once sent; withdraw it and send it under a new id."
    )
    body = ClaimsConflictOut(detail=detail, conflicts=conflicts)
    return JSONResponse(body.model_dump(), status_code=409)


def _state(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimStateConflict)
    detail = STATE_CONFLICTS[exc.action].format(claim=exc.external_id, status=exc.status)
    return JSONResponse({"detail": detail}, status_code=409)


def _key_reused(_: Request, exc: Exception) -> JSONResponse:
    message = (
        "This Idempotency-Key was used in the last 24 hours with a different request body. "
        "Use a new key for a new request."
    )
    error = {"field": "Idempotency-Key", "location": "header", "message": message}
    return JSONResponse({"detail": message, "errors": [error]}, status_code=422)


def _cursor(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "query parameter cursor: not a cursor this API gave out; pass "
            "next_cursor from the previous page as it is.",
            "errors": [{"field": "cursor", "location": "query", "message": str(exc)}],
        },
        status_code=422,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ClaimsInvalid, _invalid)
    app.add_exception_handler(ClaimsConflict, _conflict)
    app.add_exception_handler(ClaimStateConflict, _state)
    app.add_exception_handler(IdempotencyKeyReused, _key_reused)
    app.add_exception_handler(InvalidCursor, _cursor)

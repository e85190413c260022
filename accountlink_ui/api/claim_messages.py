"""The claims intake's refusals in the caller's language (DESIGN rule 11: the service gives
codes; the catalogue's ``claims.*`` entries give the words, in English or bokmål)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from accountlink_ui.api.claim_schemas import (
    ClaimConflictOut,
    ClaimProblemOut,
    ClaimsConflictOut,
    ClaimsInvalidOut,
)
from accountlink_ui.api.errors import refusal
from accountlink_ui.api.locale import request_locale
from accountlink_ui.i18n import Message, render
from accountlink_ui.services.claim_intake import ClaimProblem
from accountlink_ui.services.claim_intake_service import (
    ClaimsConflict,
    ClaimsInvalid,
    ClaimStateConflict,
    IdempotencyKeyReused,
    InvalidCursor,
)

SHOWN = 20
"""Problems spelled out in ``detail``; all of them are in ``errors``."""


def problem_message(problem: ClaimProblem) -> Message:
    return Message.of(f"claims.problem.{problem.code}", **problem.params)


def problem_out(problem: ClaimProblem, locale: str = "en") -> ClaimProblemOut:
    return ClaimProblemOut(
        index=problem.index,
        id=problem.external_id,
        field=problem.field,
        message=render(problem_message(problem), locale),
        code=problem.code,
    )


def _where(index: int | None, external_id: str | None) -> Message:
    """Which claim a problem is about; no index means the request as a whole."""
    if index is None:
        if external_id:
            return Message.of("claims.where_request_id", claim=external_id)
        return Message.of("claims.where_request")
    if external_id:
        return Message.of("claims.where_id", index=str(index), claim=external_id)
    return Message.of("claims.where", index=str(index))


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimsInvalid)
    locale = request_locale(request)
    errors = [problem_out(problem, locale) for problem in exc.problems]
    parts = [
        render(
            Message.of(
                "claims.problem_at", where=_where(e.index, e.id), field=e.field, said=e.message
            ),
            locale,
        )
        for e in errors[:SHOWN]
    ]
    if len(errors) > SHOWN:
        parts.append(render(Message.of("claims.and_more", count=len(errors) - SHOWN), locale))
    detail = render(Message.of("claims.nothing_stored", problems=" ".join(parts)), locale)
    body = ClaimsInvalidOut(detail=detail, code="claims.invalid", errors=errors)
    return JSONResponse(body.model_dump(), status_code=422)


def _conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimsConflict)
    locale = request_locale(request)
    conflicts = [
        ClaimConflictOut(index=c.index, id=c.external_id, fields=c.fields) for c in exc.conflicts
    ]
    differs = " ".join(
        render(
            Message.of("claims.differs", where=_where(c.index, c.id), fields=", ".join(c.fields)),
            locale,
        )
        for c in conflicts[:SHOWN]
    )
    detail = render(Message.of("claims.sent_before", conflicts=differs), locale)
    body = ClaimsConflictOut(detail=detail, code="claims.conflict", conflicts=conflicts)
    return JSONResponse(body.model_dump(), status_code=409)


def _state(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimStateConflict)
    return refusal(request, exc.said, 409)


def _key_reused(request: Request, exc: Exception) -> JSONResponse:
    said = Message.of("claims.key_reused")
    message = render(said, request_locale(request))
    error = {"field": "Idempotency-Key", "location": "header", "message": message}
    return refusal(request, said, 422, errors=[error])


def _cursor(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidCursor)
    locale = request_locale(request)
    return refusal(
        request,
        Message.of("claims.cursor_parameter"),
        422,
        errors=[
            {
                "field": "cursor",
                "location": "query",
                "message": render(exc.said, locale),
                "code": exc.said.code,
            }
        ],
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ClaimsInvalid, _invalid)
    app.add_exception_handler(ClaimsConflict, _conflict)
    app.add_exception_handler(ClaimStateConflict, _state)
    app.add_exception_handler(IdempotencyKeyReused, _key_reused)
    app.add_exception_handler(InvalidCursor, _cursor)

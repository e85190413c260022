"""Claims from the organization's app: post them, read their status, retry or withdraw them.

Thin: each route is one call to ``ClaimIntakeService`` as the token's ``ApiActor``,
whose organization is the only one it sees. Claims are addressed by the id the app gave
them (``external_id``), never by AccountLink's row id.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from accountlink_ui.api.claim_schemas import (
    REQUEST_BODY,
    ClaimListOut,
    ClaimOut,
    ClaimsConflictOut,
    ClaimsInvalidOut,
    IntakeOut,
    SendAtOnceIn,
    SendAtOnceOut,
)
from accountlink_ui.api.deps import AppServices, Caller
from accountlink_ui.api.responses import errors
from accountlink_ui.api.schemas import ErrorOut
from accountlink_ui.services.claim_intake import EXTERNAL_ID
from accountlink_ui.services.claim_intake_service import (
    CURSOR_PATTERN,
    MAX_PAGE,
    ClaimIntakeService,
    StoredAnswer,
    request_digest,
)
from accountlink_ui.services.wiring import Services

router = APIRouter(prefix="/claims", tags=["claims"])
settings_router = APIRouter(tags=["claims"])

DATE_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]("
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
    r"|23:59:60(\.[0-9]+)?([Zz]|[+-]00:00))$"
)
ClaimId = Annotated[
    str,
    Path(
        pattern=f"^{EXTERNAL_ID.pattern}$",
        description="The claim's id in your app (the external_id it was posted with).",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (e.g. a UUID). A repeat with the same key and body "
        "within 24 hours gets the first answer again and changes nothing.",
    ),
]
_INTAKE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": IntakeOut, "description": "Every claim was sent before with the same values."},
    201: {"model": IntakeOut, "description": "Stored; each claim's result in `results`."},
    **errors(409, 413),
}
_INTAKE_ANSWERS[409] = {
    "model": ClaimsConflictOut,
    "description": "A claim id was used before with other values: the differing fields are "
    "named, nothing was stored.",
}
_INTAKE_ANSWERS[422] = {
    "model": ClaimsInvalidOut,
    "description": "Invalid claims, each problem naming the claim (index and id) and the "
    "field; nothing was stored. Also a reused Idempotency-Key with another body.",
}


def _service(services: Services) -> ClaimIntakeService:
    return ClaimIntakeService(engine=services.engine)


@router.post(
    "",
    status_code=201,
    responses=_INTAKE_ANSWERS,
    openapi_extra={"requestBody": REQUEST_BODY},
    response_model=None,
)
async def post_claims(
    request: Request,
    caller: Caller,
    services: AppServices,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Send approved claims: one claim, or `{"claims": [...]}` with up to 500.

    **All or nothing:** the request is stored whole or not at all. One invalid claim
    refuses it with 422, listing every problem by claim (index and id) and field; a claim
    id used before with other values refuses it with 409, naming the fields that differ.
    A claim sent again with the same values is answered from what is stored
    (`outcome: existing`), so a whole batch can safely be sent again after a timeout.
    Stored claims wait for the next scheduled sync, or sync within seconds when an
    integration is set to send at once (`PUT /integrations/{id}/send-at-once`).
    """
    body = await request.body()
    service = _service(services)
    digest = request_digest(body) if idempotency_key is not None else ""

    def work() -> StoredAnswer:
        if idempotency_key is not None:
            stored = service.replay(caller, idempotency_key, digest)
            if stored is not None:
                return stored
        try:
            payload = json.loads(body, parse_float=Decimal) if body else None
        except ValueError:
            payload = None
        result = service.submit(caller, payload)
        answer = StoredAnswer(201 if result.created else 200, IntakeOut.body(result))
        if idempotency_key is not None:
            service.remember(caller, idempotency_key, digest, answer)
        return answer

    answer = await run_in_threadpool(work)
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get("", responses=errors())
def list_claims(
    caller: Caller,
    services: AppServices,
    status: Annotated[
        Literal["waiting", "sending", "exported", "refused", "withdrawn"] | None,
        Query(description="Only claims in this status."),
    ] = None,
    changed_since: Annotated[
        str | None,
        Query(
            pattern=DATE_TIME,
            json_schema_extra={"format": "date-time"},
            description="Only claims whose status changed at or after this time (RFC 3339, "
            "e.g. 2026-11-30T12:00:00Z). Poll with the time of your previous poll.",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="next_cursor from the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Claims per page.")] = 100,
) -> ClaimListOut:
    """The claims your app sent, oldest first (a stable order: walking the pages with
    `next_cursor` visits each claim once, whatever changes meanwhile)."""
    page = _service(services).list_claims(
        caller,
        status=status,
        changed_since=_moment(changed_since) if changed_since else None,
        cursor=cursor,
        limit=limit,
    )
    return ClaimListOut(claims=[ClaimOut.of(c) for c in page.claims], next_cursor=page.next_cursor)


def _moment(text: str) -> datetime:
    """An RFC 3339 time (the pattern let its shape through) as an aware UTC datetime.

    A leap second counts as the second before it; year 0 (valid in RFC 3339, not in
    Python) as the earliest time there is, as does anything that leaves Python's range
    in UTC. A date that does not exist (April 31) is refused with 422.
    """
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", text).upper()
    if text[17:19] == "60":
        text = text[:17] + "59" + text[19:]
    year_zero = text.startswith("0000")
    try:
        moment = datetime.fromisoformat("0001" + text[4:] if year_zero else text)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "changed_since"),
                    "msg": "Not a real date and time.",
                    "type": "value_error",
                    "input": text,
                }
            ]
        ) from None
    if year_zero:
        return datetime.min.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year < 5000 else datetime.max
        return edge.replace(tzinfo=UTC)


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No claim with this id in your organization."}
}
_STATE: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The claim's status does not allow this."}
}


@router.get("/{claim_id}", responses={**errors(), **_NOT_FOUND})
def get_claim(claim_id: ClaimId, caller: Caller, services: AppServices) -> ClaimOut:
    """One claim by your app's id: waiting, sending, exported (with the ledger's reference
    and time), refused (with the reason to fix) or withdrawn."""
    return ClaimOut.of(_service(services).get_claim(caller, claim_id))


@router.post("/{claim_id}/retry", responses={**errors(), **_NOT_FOUND, **_STATE})
def retry_claim(claim_id: ClaimId, caller: Caller, services: AppServices) -> ClaimOut:
    """After fixing what the refusal names (an account, a dimension): the claim waits again
    and the next sync sends it. 409 unless the claim is refused."""
    return ClaimOut.of(_service(services).retry(caller, claim_id))


@router.delete("/{claim_id}", responses={**errors(), **_NOT_FOUND, **_STATE})
def withdraw_claim(claim_id: ClaimId, caller: Caller, services: AppServices) -> ClaimOut:
    """Withdraw a claim not sent yet (waiting or refused): it is never sent. 409 once it is
    sending or exported. Withdrawing again answers the same."""
    return ClaimOut.of(_service(services).withdraw(caller, claim_id))


@settings_router.put(
    "/integrations/{integration_id}/send-at-once",
    responses={
        **errors(403),
        400: {"model": ErrorOut, "description": "The body is not JSON."},
        404: {"model": ErrorOut, "description": "No such integration."},
    },
)
def set_send_at_once(
    integration_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    choice: SendAtOnceIn,
    caller: Caller,
    services: AppServices,
) -> SendAtOnceOut:
    """Whether claims posted to /claims start a sync of this integration within seconds
    (true) or wait for its schedule (false, the default)."""
    on = _service(services).set_send_at_once(caller, integration_id, choice.send_at_once)
    return SendAtOnceOut(integration_id=integration_id, send_at_once=on)

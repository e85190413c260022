"""The error answers each route documents, so the OpenAPI document lists every status it can give."""

from __future__ import annotations

from typing import Any

from accountlink_ui.api.schemas import ErrorOut, ValidationErrorOut

_HEADER = {"schema": {"type": "string"}, "required": True}
_DOCUMENTED: dict[int, dict[str, Any]] = {
    401: {
        "model": ErrorOut,
        "description": "The token is missing, mistyped or revoked.",
        "headers": {"WWW-Authenticate": {**_HEADER, "description": "Bearer challenge."}},
    },
    403: {"model": ErrorOut, "description": "The token's creator may not do this."},
    404: {"model": ErrorOut, "description": "No such integration in the token's organization."},
    409: {"model": ErrorOut, "description": "Conflicts with the current state (e.g. a sync runs)."},
    413: {"model": ErrorOut, "description": "The request body is over 64 KiB."},
    422: {"model": ValidationErrorOut, "description": "A parameter is invalid; each is named."},
    429: {
        "model": ErrorOut,
        "description": "This token's budget for the action is spent.",
        "headers": {"Retry-After": {**_HEADER, "description": "Seconds to wait."}},
    },
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers for ``codes``; 401 and 422 apply to every route."""
    return {code: _DOCUMENTED[code] for code in sorted({401, 422, *codes})}

"""Every refusal as JSON ``{"detail": ...}`` with a sentence a person can act on.

Service errors map to statuses here, once, so routes just call the service:
NotFound → 404 (also another organization's integration), PermissionDenied →
403, InvalidConfig → 422, and any other refusal (a sync already running, an
integration disabled) → 409, since the call conflicts with the current state.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from accountlink_ui.services.errors import (
    InvalidConfig,
    NotFound,
    PermissionDenied,
    ServiceError,
)

log = logging.getLogger(__name__)
SCHEMA_HINT = "The routes are listed in /api/v1/openapi.json."


def _service_error(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    if isinstance(exc, PermissionDenied):
        return JSONResponse({"detail": str(exc)}, status_code=403)
    if isinstance(exc, InvalidConfig):
        errors = [
            {"field": field, "location": "body", "message": message}
            for field, message in exc.errors.items()
        ]
        return JSONResponse(
            {"detail": _sentence(errors) or str(exc), "errors": errors}, status_code=422
        )
    return JSONResponse({"detail": str(exc)}, status_code=409)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(error) for error in exc.errors()]
    return JSONResponse({"detail": _sentence(errors), "errors": errors}, status_code=422)


def _field_error(error: Any) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    field = ".".join(location[1:]) or where
    message = str(error.get("msg", "Invalid value."))
    if "input" in error and where in ("path", "query"):
        message += f" (got {str(error['input'])[:60]!r})"
    return {"field": field, "location": where, "message": message}


def _sentence(errors: list[dict[str, str]]) -> str:
    return " ".join(
        f"{e['location']} parameter {e['field']}: {e['message'].rstrip('.')}." for e in errors
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    headers = exc.headers
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no such API route. {SCHEMA_HINT}"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"This route does not accept that method. {SCHEMA_HINT}"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        # Starlette's words for a body that is not JSON; it is a validation failure like any.
        errors = [{"field": "body", "location": "body", "message": "The body is not valid JSON."}]
        return JSONResponse({"detail": _sentence(errors), "errors": errors}, status_code=422)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method of every route on this path: Starlette names only the first route's, and
    one path may have a route per method (GET and POST /webhooks)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "ALLOW-PROBE"})
        if match == Match.PARTIAL:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("API %s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {
            "detail": "The server failed to answer this request. The operator can find the "
            "cause in the server log; trying again later may help."
        },
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

"""Every refusal as JSON ``{"detail": ..., "code": ...}``: a sentence a person can act on, in
the caller's language (``Accept-Language``: en or nb), and a stable machine code.

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

from accountlink_ui.api.locale import request_locale, say
from accountlink_ui.i18n import Message, render
from accountlink_ui.i18n.compat import english
from accountlink_ui.services.errors import (
    InvalidConfig,
    NotFound,
    PermissionDenied,
    ServiceError,
)

log = logging.getLogger(__name__)


class SaidHTTPException(StarletteHTTPException):
    """An HTTP refusal raised before a service is reached (a missing token, a spent budget),
    worded by its message code in the caller's language."""

    def __init__(
        self, status_code: int, said: Message, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status_code, detail=english(said), headers=headers)
        self.said = said


def refusal(request: Request, said: Message, status: int, **extra: object) -> JSONResponse:
    """``{"detail": <said in the caller's language>, "code": <said's code>, ...extra}``."""
    return JSONResponse(
        {"detail": say(request, said), "code": said.code, **extra}, status_code=status
    )


def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    if isinstance(exc, NotFound):
        return refusal(request, exc.said, 404)
    if isinstance(exc, PermissionDenied):
        return refusal(request, exc.said, 403)
    if isinstance(exc, InvalidConfig):
        locale = request_locale(request)
        errors = [
            {
                "field": field,
                "location": "body",
                "message": render(message, locale),
                "code": message.code,
            }
            for field, message in exc.field_messages.items()
        ]
        return JSONResponse(
            {
                "detail": _sentence(errors, locale) or say(request, exc.said),
                "code": exc.said.code,
                "errors": errors,
            },
            status_code=422,
        )
    return refusal(request, exc.said, 409)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own field messages (pydantic's English) stay as pydantic words them."""
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(error, request_locale(request)) for error in exc.errors()]
    return JSONResponse(
        {
            "detail": _sentence(errors, request_locale(request)),
            "code": "api.invalid_request",
            "errors": errors,
        },
        status_code=422,
    )


def _field_error(error: Any, locale: str) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    field = ".".join(location[1:]) or where
    message = str(error.get("msg") or render(Message.of("api.invalid_value"), locale))
    if "input" in error and where in ("path", "query"):
        message = render(
            Message.of("api.got_value", message=message, value=repr(str(error["input"])[:60])),
            locale,
        )
    return {"field": field, "location": where, "message": message}


def _sentence(errors: list[dict[str, str]], locale: str) -> str:
    return " ".join(
        render(
            Message.of(
                "api.parameter_problem",
                location=e["location"],
                field=e["field"],
                message=e["message"].rstrip("."),
            ),
            locale,
        )
        for e in errors
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    headers = exc.headers
    code = None
    if isinstance(exc, SaidHTTPException):
        code, detail = exc.said.code, say(request, exc.said)
    elif exc.status_code == 404 and detail == "Not Found":
        code = "api.no_route"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        code = "api.wrong_method"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        # Starlette's words for a body that is not JSON; it is a validation failure like any.
        locale = request_locale(request)
        message = render(Message.of("api.body_not_json"), locale)
        errors = [{"field": "body", "location": "body", "message": message}]
        return JSONResponse(
            {"detail": _sentence(errors, locale), "code": "api.body_not_json", "errors": errors},
            status_code=422,
        )
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    if code is not None and not isinstance(exc, SaidHTTPException):
        detail = say(request, Message.of(code))
    return JSONResponse(
        {"detail": detail, "code": code or f"http.{exc.status_code}"},
        status_code=exc.status_code,
        headers=headers,
    )


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
    return refusal(request, Message.of("api.server_failed"), 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

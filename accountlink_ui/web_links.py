"""One-time links over HTTP: opening an invitation or reset link, using it, asking for one.

``GET /invite/<token>`` (and ``/reset/<token>``) puts the token in an HttpOnly cookie
and redirects to the bare page (``/invite``, ``/reset``), so the token leaves the
address bar, the browser history and any Referer at once, and never reaches Reflex:
``SessionKeyMiddleware`` hands Reflex the token's SHA-256 only, which the page uses to
say who the link is for (or why it cannot be used). The page's form posts to
``POST /auth/accept-invite`` or ``/auth/reset-password``, which read the token from
the cookie, do the work, and sign the person in by setting the session cookie, as
``POST /auth/sign-in`` does. ``POST /auth/forgot-password`` asks for a reset email
and answers the same whether or not the email has an account.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.members_service import MemberRefused, members_service
from accountlink_ui.services.wiring import Services, get_services
from accountlink_ui.web_session import (
    LINK_COOKIE,
    MAX_SIGN_IN_BODY,
    same_site_origin,
    secure_cookie,
    signed_in_response,
)

log = logging.getLogger(__name__)

INVITE_PAGE = "/invite"
RESET_PAGE = "/reset"
FORGOT_PAGE = "/forgot-password"
ACCEPT_INVITE_PATH = "/auth/accept-invite"
RESET_PASSWORD_PATH = "/auth/reset-password"
FORGOT_PASSWORD_PATH = "/auth/forgot-password"
LINK_COOKIE_SECONDS = 3600
"""How long an opened link stays in the browser before it must be opened again."""
MAX_TOKEN_CHARS = 100
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
"""What ``secrets.token_urlsafe`` makes; anything else is not one of our links."""


def _answer(payload: dict[str, object], status: int = 200) -> JSONResponse:
    response = JSONResponse(payload, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def open_link_endpoint(page: str, services: Callable[[], Services]) -> Callable[..., object]:
    async def open_link(request: Request) -> Response:
        token = str(request.path_params.get("token", ""))
        response = RedirectResponse(page, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        if _TOKEN.fullmatch(token):
            response.set_cookie(
                LINK_COOKIE,
                token,
                max_age=LINK_COOKIE_SECONDS,
                path="/",
                httponly=True,
                samesite="strict",
                secure=secure_cookie(request, services()),
            )
        return response

    return open_link


async def _form(request: Request) -> dict[str, str] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SIGN_IN_BODY:
            return None
    form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    return {key: values[0] for key, values in form.items() if values}


def use_link_endpoint(kind: str, services: Callable[[], Services]) -> Callable[..., object]:
    async def use_link(request: Request) -> Response:
        if not same_site_origin(request):
            return _answer({"error": "origin"}, 403)
        form = await _form(request)
        if form is None:
            return _answer({"error": "too_large"}, 413)
        token = request.cookies.get(LINK_COOKIE, "")
        if not _TOKEN.fullmatch(token):
            return _answer({"error": "link_unknown"}, 400)
        wired = services()
        members = members_service(wired)
        password, confirm = form.get("password", ""), form.get("confirm", "")
        try:
            if kind == "invitation":
                signed_in = await run_in_threadpool(
                    members.accept_invitation, token, form.get("name", ""), password, confirm
                )
            else:
                signed_in = await run_in_threadpool(
                    members.reset_password, token, password, confirm
                )
        except MemberRefused as refused:
            return _answer({"error": refused.code, **_public(refused.params)}, 400)
        except ServiceError:
            log.exception("A one-time link could not be used")
            return _answer({"error": "failed"}, 400)
        response = await signed_in_response(request, wired, signed_in.token)
        response.delete_cookie(
            LINK_COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure_cookie(request, wired),
        )
        return response

    return use_link


def _public(params: dict[str, object]) -> dict[str, object]:
    """Only numbers go back to the page (the minimum length...), never typed text."""
    return {key: value for key, value in params.items() if isinstance(value, int)}


def forgot_password_endpoint(services: Callable[[], Services]) -> Callable[..., object]:
    async def forgot_password(request: Request) -> Response:
        if not same_site_origin(request):
            return _answer({"error": "origin"}, 403)
        form = await _form(request)
        if form is None:
            return _answer({"error": "too_large"}, 413)
        try:
            await run_in_threadpool(
                members_service(services()).request_reset, form.get("email", "")
            )
        except Exception:  # the answer must not differ, whatever happened
            log.exception("A password reset request failed")
        return _answer({"ok": True})

    return forgot_password


def link_routes(services: Callable[[], Services] = get_services) -> list[Route]:
    return [
        Route(INVITE_PAGE + "/{token}", open_link_endpoint(INVITE_PAGE, services)),
        Route(RESET_PAGE + "/{token}", open_link_endpoint(RESET_PAGE, services)),
        Route(ACCEPT_INVITE_PATH, use_link_endpoint("invitation", services), methods=["POST"]),
        Route(RESET_PASSWORD_PATH, use_link_endpoint("password_reset", services), methods=["POST"]),
        Route(FORGOT_PASSWORD_PATH, forgot_password_endpoint(services), methods=["POST"]),
    ]
